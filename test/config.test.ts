/** Configuration is validated at start-up; a bad value names the variable. */
import { loadConfig, ruleLimitsOf, workerTuningOf } from '../src/config';
import { VigilError } from '../src/error-codes';
import { defaultRuleLimits, ruleLimitVariables, type RuleLimits } from '../src/sigma/rule-limits';

test('defaults are complete and typed', () => {
  const c = loadConfig({});
  expect(c.TEMPORAL_NAMESPACE).toBe('default');
  expect(c.VIGIL_TENANTS).toEqual(['acme']);
  expect(c.VIGIL_DRY_RUN).toBe(true);
  expect(c.TEMPORAL_PORT).toBe(7233);
});

test('values are parsed: lists, booleans, numbers; flags override env', () => {
  const c = loadConfig({ VIGIL_TENANTS: 'acme, globex', VIGIL_DRY_RUN: 'false', MQTT_PORT: '1999' }, { VIGIL_DATA_DIR: '/tmp/x' });
  expect(c.VIGIL_TENANTS).toEqual(['acme', 'globex']);
  expect(c.VIGIL_DRY_RUN).toBe(false);
  expect(c.MQTT_PORT).toBe(1999);
  expect(c.VIGIL_DATA_DIR).toBe('/tmp/x');
});

test('VIGIL_INGEST_GROUP: a shared-subscription group by default, `none` for a plain subscription, empty = unset', () => {
  expect(loadConfig({}).VIGIL_INGEST_GROUP).toBe('vigil-ingest');
  expect(loadConfig({ VIGIL_INGEST_GROUP: 'g1' }).VIGIL_INGEST_GROUP).toBe('g1');
  expect(loadConfig({ VIGIL_INGEST_GROUP: 'none' }).VIGIL_INGEST_GROUP).toBe('');
  expect(loadConfig({ VIGIL_INGEST_GROUP: '' }).VIGIL_INGEST_GROUP).toBe('vigil-ingest');
});

test('VIGIL_ARCHIVE_RETENTION is a duration in milliseconds; unset keeps the archive forever', () => {
  expect(loadConfig({ VIGIL_ARCHIVE_RETENTION: '90d' }).VIGIL_ARCHIVE_RETENTION).toBe(90 * 86_400_000);
  expect(loadConfig({ VIGIL_ARCHIVE_RETENTION: '1h' }).VIGIL_ARCHIVE_RETENTION).toBe(3_600_000);
  expect(loadConfig({}).VIGIL_ARCHIVE_RETENTION).toBeUndefined();
});

test.each([
  ['MQTT_PORT', '70000'],
  ['VIGIL_DRY_RUN', 'maybe'],
  ['VIGIL_TENANTS', 'Acme Corp'],
  ['MQTT_URL', 'not a url'],
  ['LOG_LEVEL', 'loud'],
  ['VIGIL_RULE_MAX_FILE_BYTES', '0'],
  ['VIGIL_RULE_MAX_FIELD_VALUES', '1e3x'],
  ['VIGIL_METRICS_LISTEN', '9464'],
  ['VIGIL_METRICS_LISTEN', '127.0.0.1:99999'],
  ['VIGIL_TEMPORAL_METRICS_LISTEN', '0.0.0.0:9000'],
  ['VIGIL_TEMPORAL_METRICS_LISTEN', ':9000'],
  ['VIGIL_ARCHIVE_RETENTION', 'forever'],
  ['VIGIL_ARCHIVE_RETENTION', '30m'],
])('%s=%s is rejected with VGL_CONFIG_INVALID naming the variable', (key, value) => {
  let error: unknown;
  try {
    loadConfig({ [key]: value });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(VigilError);
  expect((error as VigilError).code).toBe('VGL_CONFIG_INVALID');
  expect((error as VigilError).location.field).toMatch(new RegExp(`^${key}`));
  expect((error as VigilError).message).toContain(key);
});

test.each(Object.entries(ruleLimitVariables) as [keyof RuleLimits, string][])('rule bound %s is set by %s; the others keep their defaults', (bound, variable) => {
  expect(ruleLimitsOf(loadConfig({}))).toEqual(defaultRuleLimits);
  expect(ruleLimitsOf(loadConfig({ [variable]: '7' }))).toEqual({ ...defaultRuleLimits, [bound]: 7 });
});

test('metrics listen addresses: off by default, parsed as host:port, `:port` meaning every interface', () => {
  const off = loadConfig({});
  expect([off.VIGIL_METRICS_LISTEN, off.VIGIL_TEMPORAL_METRICS_LISTEN]).toEqual([undefined, undefined]);
  const c = loadConfig({ VIGIL_METRICS_LISTEN: ':9464', VIGIL_TEMPORAL_METRICS_LISTEN: '[::1]:9465' });
  expect(c.VIGIL_METRICS_LISTEN).toEqual({ host: '0.0.0.0', port: 9464 });
  expect(c.VIGIL_TEMPORAL_METRICS_LISTEN).toEqual({ host: '::1', port: 9465 });
});

test('worker tuning: the previous values by default; polls beyond executions, or executions beyond a cache, are refused naming the variable', () => {
  expect(workerTuningOf(loadConfig({}))).toEqual({ maxCachedWorkflows: 1000, maxConcurrentWorkflowTaskExecutions: 40, workflowTaskPollers: 10 });
  const tuned = { VIGIL_WORKER_MAX_CACHED_WORKFLOWS: '0', VIGIL_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '80', VIGIL_WORKER_WORKFLOW_TASK_POLLERS: '40' };
  expect(workerTuningOf(loadConfig(tuned))).toEqual({ maxCachedWorkflows: 0, maxConcurrentWorkflowTaskExecutions: 80, workflowTaskPollers: 40 });
  const refused = (env: Record<string, string>): unknown => {
    try {
      return workerTuningOf(loadConfig(env));
    } catch (err) {
      return err;
    }
  };
  expect(refused({ VIGIL_WORKER_WORKFLOW_TASK_POLLERS: '41' })).toMatchObject({ code: 'VGL_CONFIG_INVALID', location: { field: 'VIGIL_WORKER_WORKFLOW_TASK_POLLERS' } });
  expect(refused({ VIGIL_WORKER_MAX_CACHED_WORKFLOWS: '20' })).toMatchObject({ code: 'VGL_CONFIG_INVALID', location: { field: 'VIGIL_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS' } });
  expect(refused({ VIGIL_WORKER_WORKFLOW_TASK_POLLERS: '1' })).toMatchObject({ code: 'VGL_CONFIG_INVALID', location: { field: 'VIGIL_WORKER_WORKFLOW_TASK_POLLERS' } });
});
