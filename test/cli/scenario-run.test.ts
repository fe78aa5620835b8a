/**
 * `vigil scenario run` as CI runs it: every scenario in rules/scenarios/ through the built CLI against a running stack
 * (the run's Temporal dev server and Mosquitto, with `vigil worker` and `vigil ingest` processes for a tenant of this
 * test). The JSON output must match the contract (src/scenario/report.ts) and the scenarios' FILE.expect.yml; a
 * scenario whose expectations do not hold exits 1 naming them; a malformed expectations file is refused before
 * anything is published.
 */
import { Connection } from '@temporalio/client';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { scrape, valueOf } from '../../src/metrics/prometheus-text';
import { projectRoot } from '../../src/project-root';
import { loadExpectations } from '../../src/scenario/expectations';
import { ScenarioReportSchema, type ScenarioReport } from '../../src/scenario/report';
import { freePort } from '../helpers/mosquitto';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver';
import { eventually, sharedMqttUrl, sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { runVigil, runVigilAsync, startVigil, type VigilProcess } from '../helpers/vigil-process';

jest.setTimeout(300_000);

const scenarioDir = path.join(projectRoot, 'rules', 'scenarios');
const scenarios = readdirSync(scenarioDir)
  .filter((f) => f.endsWith('.ndjson'))
  .sort()
  .map((f) => path.join(scenarioDir, f));
const tenant = uniqueTenant('scenario');
/**
 * For the second run: a correlator does not raise an alert of the same rule and group again within its dedup window,
 * so replaying a scenario to the tenant that just ran it raises nothing new. The stack serves both tenants; a run
 * publishes as the first of VIGIL_TENANTS.
 */
const otherTenant = uniqueTenant('scenario2');
let env: Record<string, string>;
let worker: VigilProcess | undefined;
let ingest: VigilProcess | undefined;
let inbox: HttpReceiver | undefined;

beforeAll(async () => {
  inbox = await startHttpReceiver();
  const metricsListen = `127.0.0.1:${await freePort()}`;
  const stack = {
    TEMPORAL_ADDRESS: sharedTemporalAddress(),
    MQTT_URL: sharedMqttUrl(),
    VIGIL_TENANTS: `${tenant},${otherTenant}`,
    VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-scenario-run-')),
    VIGIL_WEBHOOK_URL: inbox.url,
    VIGIL_INGEST_CLIENT_ID: `ingest-${tenant}`,
    VIGIL_INGEST_GROUP: `g-${tenant}`,
    VIGIL_INGEST_CONNECTIONS: '1',
  };
  worker = startVigil(['worker'], { ...stack, LOG_LEVEL: 'info' });
  ingest = startVigil(['ingest'], { ...stack, VIGIL_METRICS_LISTEN: metricsListen });
  env = { ...stack, VIGIL_INGEST_METRICS_URLS: `http://${metricsListen}/metrics` };
  await eventually(
    async () => ((await scrape(env.VIGIL_INGEST_METRICS_URLS!).then((s) => valueOf(s, 'vigil_ingest_subscribed_connections')).catch(() => 0)) > 0 ? true : undefined),
    `ingest subscribed: ${ingest.output()}`,
    120_000,
    500,
  );
  await eventually(async () => (worker!.output().includes('workers ready') ? true : undefined), `worker ready: ${worker.output()}`, 120_000, 500);
});

afterAll(async () => {
  await Promise.all([worker?.stop(), ingest?.stop()]);
  await inbox?.close();
});

const named = (a: ScenarioReport['alerts'][number], rule: string): boolean => a.rule.id === rule || a.rule.title === rule;

test('every scenario in rules/scenarios/ runs through the pipeline: the JSON output is the contract and meets each expectations file', async () => {
  const r = await runVigilAsync(['scenario', 'run', ...scenarios, '--json'], env);
  expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
  // stdout is exactly one JSON object of the contract.
  const report = ScenarioReportSchema.parse(JSON.parse(r.stdout));
  expect(r.stdout.trim().split('\n')).toHaveLength(1);

  for (const file of scenarios) {
    const expectations = loadExpectations(file);
    expect(expectations).toBeDefined();
    expect(r.stderr).toContain(`PASS ${path.basename(file, '.ndjson')}`);
    for (const spec of expectations!.alerts.fire) {
      const hit = report.alerts.filter((a) => named(a, spec.rule) && (!spec.entity || a.entities.some((e) => e.type === spec.entity!.type && e.id === spec.entity!.id)));
      expect({ spec, fired: hit.length > 0 }).toEqual({ spec, fired: true });
    }
  }
  // Cross-references hold: the owner is the first entity, playbooks decide on reported alerts.
  const ids = new Set(report.alerts.map((a) => a.id));
  expect(ids.size).toBe(report.alerts.length);
  for (const a of report.alerts) expect(a.entities[0]).toEqual(a.entity);
  for (const p of report.playbooks) for (const id of p.alerts) expect(ids).toContain(id);
  expect(report.playbooks.some((p) => p.state === 'awaiting_approval')).toBe(true);
  // The quiet pipeline includes finished notification runs: their notices reached the webhook.
  const notified = report.playbooks.filter((p) => p.name === 'notify-critical' && p.state === 'completed');
  expect(notified.length).toBeGreaterThan(0);
  expect(inbox!.received.length).toBeGreaterThan(0);
  // Each scenario is one incident: the alerts its expectations name all belong to one incident, a different one per
  // scenario, and the three incidents hold every alert of the run, each alert naming its incident.
  const incidentsOfScenario = scenarios.map((file) => {
    const held = new Set<string | null>();
    for (const spec of loadExpectations(file)!.alerts.fire) {
      for (const a of report.alerts.filter((x) => named(x, spec.rule) && (!spec.entity || x.entities.some((e) => e.type === spec.entity!.type && e.id === spec.entity!.id)))) held.add(a.incident);
    }
    return [...held];
  });
  for (const held of incidentsOfScenario) expect(held).toEqual([expect.any(String)]);
  expect(new Set(incidentsOfScenario.flat()).size).toBe(scenarios.length);
  expect(report.incidents.map((i) => i.id).sort()).toEqual(incidentsOfScenario.flat().sort());
  for (const a of report.alerts) expect(a.incident).not.toBeNull();
  for (const incident of report.incidents) {
    const own = report.alerts.filter((a) => a.incident === incident.id);
    expect(own.map((a) => a.id).sort()).toEqual([...incident.alerts].sort());
    for (const a of own) for (const e of a.entities) expect(incident.entities).toContainEqual(e);
  }
});

test('a scenario whose expectations do not hold exits 1 and names each failed one', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-scenario-expect-'));
  const file = path.join(dir, 'linux-host-compromise.ndjson');
  copyFileSync(path.join(scenarioDir, 'linux-host-compromise.ndjson'), file);
  writeFileSync(
    path.join(dir, 'linux-host-compromise.expect.yml'),
    ['alerts:', '  fire:', '    - rule: Cryptocurrency Miner Started', '      entity: host:web-01', '  notFire:', '    - rule: Kernel Module Loaded by Hand', 'incidents: 2', ''].join('\n'),
  );
  const r = await runVigilAsync(['scenario', 'run', file], { ...env, VIGIL_TENANTS: `${otherTenant},${tenant}` });
  expect(r.status).toBe(1);
  expect(r.stdout).toContain('FAIL linux-host-compromise');
  expect(r.stdout).toContain('expected an alert of "Cryptocurrency Miner Started" on host:web-01; none fired');
  expect(r.stdout).toMatch(/expected no alert of "Kernel Module Loaded by Hand"; \d+ fired \(.*host:web-01/);
  expect(r.stdout).toMatch(/expected 2 incident\(s\); got 1 \(inc-/);
  // The human summary lists what did fire.
  expect(r.stdout).toContain('Kernel Module Loaded by Hand  on host:web-01');
});

test('without TEMPORAL_ADDRESS it runs on an embedded stack of its own, keeps stdout to the one JSON object, and leaves nothing behind', async () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'vigil-scenario-tmp-'));
  const linux = path.join(scenarioDir, 'linux-host-compromise.ndjson');
  const r = await runVigilAsync(['scenario', 'run', linux, '--json'], { TEMPORAL_ADDRESS: '', MQTT_URL: '', VIGIL_WEBHOOK_URL: '', VIGIL_TENANTS: 'acme', TMPDIR: tmp });
  expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
  const report = ScenarioReportSchema.parse(JSON.parse(r.stdout));
  expect(r.stderr).toContain('PASS linux-host-compromise');
  expect(report.alerts.some((a) => a.rule.title.startsWith('Linux Host Intrusion Chain') && a.entity.id === 'web-01')).toBe(true);
  // The run's state folder (temporary, under TMPDIR) is gone with the stack.
  expect(readdirSync(tmp)).toEqual([]);
});

test('Ctrl-C during an embedded run exits 130 and leaves no dev server and no temporary folder behind', async () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'vigil-scenario-sigint-'));
  const run = startVigil(['scenario', 'run', path.join(scenarioDir, 'linux-host-compromise.ndjson')], { TEMPORAL_ADDRESS: '', MQTT_URL: '', VIGIL_WEBHOOK_URL: '', VIGIL_TENANTS: 'acme', TMPDIR: tmp, LOG_LEVEL: 'info' });
  const address = await eventually(async () => /"address":"(127\.0\.0\.1:\d+)"[^\n]*Temporal dev server ready/.exec(run.output())?.[1], `dev server ready: ${run.output()}`, 120_000, 200);
  const exited = new Promise<number | null>((resolve) => run.child.once('exit', (code) => resolve(code)));
  run.child.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(readdirSync(tmp)).toEqual([]);
  // The dev server went with it: nothing answers on its port any more.
  await eventually(async () => (await Connection.connect({ address, connectTimeout: 500 }).then((c) => c.close().then(() => undefined), () => true)), `dev server at ${address} stopped`, 30_000, 250);
});

test('a malformed expectations file is refused with file:line:col before anything starts', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-scenario-bad-'));
  const file = path.join(dir, 'one.ndjson');
  copyFileSync(path.join(scenarioDir, 'linux-host-compromise.ndjson'), file);
  writeFileSync(path.join(dir, 'one.expect.yml'), ['alerts:', '  fire:', '    - rule: Kernel Module Loaded by Hand', '      entity: planet:earth', ''].join('\n'));
  // No stack is reachable through this environment: the refusal must come first.
  const r = runVigil(['scenario', 'run', file], { TEMPORAL_ADDRESS: '127.0.0.1:1', MQTT_URL: 'mqtt://127.0.0.1:1' });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain(`VGL_SCENARIO_EXPECT_INVALID: ${path.join(dir, 'one.expect.yml')}:4:15 field alerts.fire.0.entity: unknown entity type in "planet:earth"`);
});
