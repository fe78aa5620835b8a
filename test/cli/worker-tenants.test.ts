/**
 * `vigil worker --tenants` polls only the named tenants' task queues: asked of the real dev server, the
 * named tenant's queue has this worker as a poller and the other tenant of VIGIL_TENANTS has none.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { tenantTaskQueue } from '../../src/temporal/workflow-ids';
import { makeRulesDir } from '../helpers/rules-dir';
import { eventually, sharedClient, sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { runVigil, startVigil, type VigilProcess } from '../helpers/vigil-process';

jest.setTimeout(120_000);

const served = uniqueTenant('wkserved');
const other = uniqueTenant('wkother');
let client: Client;
let worker: VigilProcess;

beforeAll(async () => {
  client = await sharedClient();
  worker = startVigil(['worker', '--tenants', served], {
    TEMPORAL_ADDRESS: sharedTemporalAddress(),
    VIGIL_TENANTS: `${served},${other}`,
    VIGIL_RULES_DIR: makeRulesDir({}),
    VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-worker-tenants-')),
    LOG_LEVEL: 'info',
  });
});

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
});

const pollers = async (taskQueue: string): Promise<number> => {
  const r = await client.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return r.pollers?.length ?? 0;
};

test("the worker polls the named tenant's task queue and not the other's", async () => {
  await eventually(async () => ((await pollers(tenantTaskQueue(served))) > 0 ? true : undefined), `a poller on ${served}'s queue: ${worker.output()}`, 90_000, 250);
  const ready = worker.output().split('\n').find((l) => l.includes('workers ready'))!;
  expect((JSON.parse(ready) as { taskQueues: string[] }).taskQueues).toEqual([tenantTaskQueue(served)]);
  expect(await pollers(tenantTaskQueue(other))).toBe(0);
  // The SDK's own lines go through Vigil's logger: one format on the stream (JSON here, no terminal).
  const lines = worker.output().split('\n').filter((l) => l.trim() !== '');
  const notJson = lines.filter((l) => { try { JSON.parse(l); return false; } catch { return true; } });
  expect(notJson).toEqual([]);
  const sdk = lines.map((l) => JSON.parse(l) as { role?: string; msg?: string; state?: string });
  expect(sdk).toContainEqual(expect.objectContaining({ role: 'temporal-sdk', msg: 'Worker state changed', state: 'RUNNING' }));
});

test('a malformed --tenants is refused with its VGL code', () => {
  // Same schema as VIGIL_TENANTS: a tenant id that would make a bad topic or task queue name.
  const r = runVigil(['worker', '--tenants', 'a/b'], { TEMPORAL_ADDRESS: sharedTemporalAddress() });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('VGL_CONFIG_INVALID');
});
