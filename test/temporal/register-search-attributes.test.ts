/**
 * `vigil setup --search-attributes` (what ops/temporal/cluster.sh runs on a new cluster) registers every
 * search attribute Vigil sets, with its type, on a namespace that has none, and is safe to repeat. Run
 * with VIGIL_TEST_TEMPORAL_ADDRESS at the cluster, it checks that PostgreSQL visibility accepts the set.
 */
import type { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { vigilSearchAttributes } from '../../src/temporal/search-attributes';
import { eventually, sharedClient, sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { runVigil } from '../helpers/vigil-process';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const expectedType: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

let client: Client;
beforeAll(async () => {
  client = await sharedClient();
});
afterAll(async () => {
  await client?.connection.close();
});

test('registers all of Vigil’s search attributes on a fresh namespace, typed, and again without error', async () => {
  const namespace = uniqueTenant('sa');
  await client.connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  const env = { TEMPORAL_ADDRESS: sharedTemporalAddress(), TEMPORAL_NAMESPACE: namespace };

  // A new namespace reaches the frontend's registry after a refresh: retry until the command succeeds.
  const first = await eventually(async () => {
    const r = runVigil(['setup', '--search-attributes'], env);
    return r.status === 0 ? r : undefined;
  }, 'vigil setup --search-attributes on a new namespace');
  expect(first.stderr).toBe('');
  const listed = await client.connection.operatorService.listSearchAttributes({ namespace });
  const custom = Object.fromEntries(Object.entries(listed.customAttributes ?? {}).map(([name, type]) => [name, Number(type)]));
  expect(custom).toEqual(Object.fromEntries(vigilSearchAttributes.map((key) => [key.name, expectedType[key.type]])));

  const again = runVigil(['setup', '--search-attributes'], env);
  expect([again.status, again.stderr]).toEqual([0, '']);
  expect(again.stdout).toContain(vigilSearchAttributes.map((key) => key.name).join(', '));
});

test('without TEMPORAL_ADDRESS it is a configuration error naming the variable', () => {
  const r = runVigil(['setup', '--search-attributes'], { TEMPORAL_ADDRESS: '' });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/VGL_CONFIG_INVALID.*TEMPORAL_ADDRESS/);
});
