/**
 * A workflow task that fails stays in its workflow (issue 8, finding 3): a correlator started by hand with input
 * its code rejects throws in workflow code; its task fails and is retried, visibly (WorkflowTaskFailed in its
 * history, the attempt count on the pending task), while the same `vigil worker` process keeps serving another
 * correlator of the same tenant. A malformed signalled detection (a batch signalled by hand with `temporal workflow
 * signal`) used to be such a poison, failing every task for good; the signal handler now drops and counts it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { createActivities } from '../../activities';
import { createCorrelationActivities } from '../../activities/correlation-rules';
import { startRuleRuntime } from '../../src/app/rule-runtime';
import { loadConfig, workerTuningOf } from '../../src/config';
import type { Detection } from '../../src/model/detection';
import type { EntityRef } from '../../src/model/entity';
import { loadResponseConfig } from '../../src/response/response-config';
import { createWorkerSet, ISOLATE_EXECUTION_TIMEOUT } from '../../src/temporal/worker';
import { correlatorWorkflowId, tenantTaskQueue } from '../../src/temporal/workflow-ids';
import type { CorrelatorInput } from '../../src/contracts/correlator/input';
import { detectionBatchSignal, entityStateQuery, type DetectionBatch } from '../../src/contracts/correlator/messages';
import type { correlatorWorkflow } from '../../workflows/correlator/correlator';
import { makeRulesDir } from '../helpers/rules-dir';
import { eventually, sharedClient, sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { startVigil, type VigilProcess } from '../helpers/vigil-process';
import { vigilWorkflowBundle } from '../helpers/workflow-bundles';
import { correlationFiles, detection, sigmaFiles } from './test-rules';

const tenant = uniqueTenant('wftfail');
const rulesDir = makeRulesDir(sigmaFiles, correlationFiles);
const poisoned: EntityRef = { type: 'host', id: 'poisoned-1' };
const healthy: EntityRef = { type: 'host', id: 'healthy-1' };

let client: Client;
let worker: VigilProcess;

beforeAll(async () => {
  client = await sharedClient();
  worker = startVigil(['worker'], {
    TEMPORAL_ADDRESS: sharedTemporalAddress(),
    VIGIL_TENANTS: tenant,
    VIGIL_RULES_DIR: rulesDir,
    VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-wftfail-')),
  });
});

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
});

function send(entity: EntityRef, batchId: string, detections: Detection[], settings?: CorrelatorInput['settings']) {
  const input: CorrelatorInput = { tenant, entity, settings };
  return client.workflow.signalWithStart<typeof correlatorWorkflow, [DetectionBatch]>('correlatorWorkflow', {
    workflowId: correlatorWorkflowId(tenant, entity),
    taskQueue: tenantTaskQueue(tenant),
    args: [input],
    signal: detectionBatchSignal,
    signalArgs: [{ batchId, detections }],
  });
}

const good = (id: string, entity: EntityRef, i: number, at = Date.now()) => detection(tenant, '', `${tenant}-${id}-${i}`, 't_recon', entity, at + i);

test('a failing workflow task stays in its correlator, retried and visible; the worker keeps serving others', async () => {
  // Input only a hand-made start can carry (ingest never sends it): the first task throws in workflow code.
  await send(poisoned, 'poison-batch', [good('before', poisoned, 1)], { quietPeriod: 'banana' });

  const handle = client.workflow.getHandle(correlatorWorkflowId(tenant, poisoned));
  const failure = await eventually(async () => {
    const event = (await handle.fetchHistory()).events!.find((e) => e.workflowTaskFailedEventAttributes);
    return event?.workflowTaskFailedEventAttributes?.failure ?? undefined;
  }, 'a WorkflowTaskFailed event');
  expect(failure.message).toMatch(/invalid duration 'banana'/); // the error, as the UI shows it
  // Retried, not given up on: the pending task's attempt count climbs while the workflow stays running.
  const retried = await eventually(async () => {
    const description = await handle.describe();
    return (description.raw.pendingWorkflowTask?.attempt ?? 0) >= 3 ? description : undefined;
  }, 'the failed task retried');
  expect(retried.status.name).toBe('RUNNING');

  // Meanwhile the same worker process serves another correlator of the same tenant.
  await send(healthy, 'healthy-batch', [0, 1, 2].map((i) => good('ok', healthy, i)));
  const view = await eventually(async () => {
    const v = await client.workflow.getHandle(correlatorWorkflowId(tenant, healthy)).query(entityStateQuery);
    return v.eventCount === 3 ? v : undefined;
  }, 'the healthy correlator to count its batch');
  expect(view.timeline.map((t) => t.eventId)).toEqual([0, 1, 2].map((i) => `${tenant}-ok-${i}`));
  expect(worker.child.exitCode).toBeNull();
  expect(worker.child.signalCode).toBeNull();
});

test('malformed or foreign signalled detections are dropped and counted; the rest of the batch and later batches apply', async () => {
  const entity: EntityRef = { type: 'host', id: 'signalled-1' };
  const now = Date.now();
  const base = good('x', entity, 0, now);
  const bad = [
    { ...base, eventId: `${tenant}-norules`, rules: null }, // failed every task before (TypeError)
    { ...base, eventId: `${tenant}-notime`, time: 'yesterday' },
    { ...base, eventId: `${tenant}-foreign`, tenant: 'another-tenant' },
    { ...base, eventId: `${tenant}-badentity`, entities: [{ type: 'planet', id: 'x' }] },
    'not a detection',
  ] as unknown as Detection[];
  await send(entity, 'mixed-batch', [good('keep', entity, 1, now), ...bad, good('keep', entity, 2, now)]);
  // Not even an array of detections: dropped whole, counted once.
  await client.workflow.getHandle(correlatorWorkflowId(tenant, entity)).signal(detectionBatchSignal, { batchId: 'broken', detections: 'x' } as unknown as DetectionBatch);
  await send(entity, 'later-batch', [good('later', entity, 3, now)]);

  const handle = client.workflow.getHandle(correlatorWorkflowId(tenant, entity));
  const view = await eventually(async () => {
    const v = await handle.query(entityStateQuery);
    return v.eventCount === 3 && v.rejectedDetections === bad.length + 1 ? v : undefined;
  }, 'the good detections applied and the bad ones counted');
  expect(view.timeline.map((t) => t.eventId).sort()).toEqual([`${tenant}-keep-1`, `${tenant}-keep-2`, `${tenant}-later-3`].sort());
  const failed = (await handle.fetchHistory()).events!.filter((e) => e.workflowTaskFailedEventAttributes);
  expect(failed).toEqual([]);
});

test('the workers run activations under the raised sandbox timeout (the SDK reads the untyped option) and with the worker settings', async () => {
  const rules = await startRuleRuntime({ VIGIL_RULES_DIR: rulesDir }, testLogger);
  const { config: responses } = loadResponseConfig(path.join(rulesDir, 'responses'));
  const set = await createWorkerSet({
    address: sharedTemporalAddress(),
    namespace: 'default',
    tenants: [uniqueTenant('wftopts')],
    activities: { ...createCorrelationActivities(rules.routing, responses.bindings), ...createActivities({ logger: testLogger, dryRun: true, responses, client }) },
    logger: testLogger,
    workflowBundle: await vigilWorkflowBundle(),
    ...workerTuningOf(loadConfig({ VIGIL_WORKER_MAX_CACHED_WORKFLOWS: '50', VIGIL_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '6', VIGIL_WORKER_WORKFLOW_TASK_POLLERS: '3' })),
  });
  const running = set.run();
  try {
    expect(set.workers.map((w) => w.options.isolateExecutionTimeoutMs)).toEqual([Number.parseInt(ISOLATE_EXECUTION_TIMEOUT, 10) * 1000]);
    expect(set.workers.map((w) => [w.options.maxCachedWorkflows, w.options.tuner.workflowTaskSlotSupplier, w.options.workflowTaskPollerBehavior])).toEqual([
      [50, expect.objectContaining({ type: 'fixed-size', numSlots: 6 }), { type: 'simple-maximum', maximum: 3 }],
    ]);
  } finally {
    await set.shutdown();
    await running;
    rules.close();
  }
});
