/**
 * A playbook outlives its correlator's run: the real correlator (in a real `vigil worker` process)
 * raises an alert and starts the playbook as an ABANDON child; while the playbook waits for approval
 * the correlator continues-as-new (its history limit is lowered through its input settings); the
 * approval then completes the playbook, and its report reaches the correlator's *new* run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { decidePlaybook } from '../../src/chatops/playbook-runs';
import type { Detection } from '../../src/model/detection';
import type { PlaybookReport } from '../../src/model/playbook';
import { correlatorWorkflowId, playbookWorkflowId, tenantTaskQueue } from '../../src/temporal/workflow-ids';
import type { CorrelatorInput } from '../../workflows/correlator/correlator-input';
import { detectionBatchSignal, entityStateQuery } from '../../workflows/correlator/messages';
import { playbookStatusQuery } from '../../workflows/playbook/messages';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver';
import { makeRulesDir, podExecRule } from '../helpers/rules-dir';
import { eventually, sharedClient, sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { startVigil, type VigilProcess } from '../helpers/vigil-process';

const tenant = uniqueTenant('pbcan');
const entity = { type: 'pod' as const, id: 'payments/api-7c9d' };
const correlatorId = correlatorWorkflowId(tenant, entity);
const rule = { id: '0f7d8a52-7c1e-4d0b-9a51-2f4a1c9e0b01', name: 'test_pod_exec', title: 'Test - exec into a pod', level: 'high' as const, tags: ['attack.execution', 'attack.t1609'] };

let client: Client;
let webhook: HttpReceiver;
let worker: VigilProcess;

beforeAll(async () => {
  webhook = await startHttpReceiver();
  client = await sharedClient();
  worker = startVigil(['worker'], {
    TEMPORAL_ADDRESS: sharedTemporalAddress(),
    VIGIL_TENANTS: tenant,
    VIGIL_RULES_DIR: makeRulesDir({ 'pod-exec.yml': podExecRule }),
    VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-pbcan-')),
    VIGIL_WEBHOOK_URL: webhook.url,
    VIGIL_DRY_RUN: 'false',
  });
});

afterAll(async () => {
  await worker?.stop();
  await webhook?.close();
  await client?.connection.close();
});

function execDetection(i: number): Detection {
  return {
    eventId: `${tenant}-exec-${i}`,
    tenant,
    source: 'k8s_audit',
    time: Date.now(),
    rules: [rule],
    entities: [entity],
    fields: { verb: 'create', 'objectRef.resource': 'pods', 'objectRef.subresource': 'exec', 'objectRef.namespace': 'payments', 'objectRef.name': 'api-7c9d', 'user.username': 'mallory' },
    summary: 'mallory exec into payments/api-7c9d',
    rulesetVersion: 'test',
  };
}

function sendBatch(i: number, input: CorrelatorInput) {
  return client.workflow.signalWithStart('correlatorWorkflow', {
    workflowId: correlatorId,
    taskQueue: tenantTaskQueue(tenant),
    args: [input],
    signal: detectionBatchSignal,
    signalArgs: [{ batchId: `batch-${i}`, detections: [execDetection(i)] }],
  });
}

test('the correlator continues-as-new while its playbook waits; the playbook completes and reports to the new run', async () => {
  // A low history limit makes the correlator continue-as-new after a handful of batches.
  const input: CorrelatorInput = { tenant, entity, settings: { maxHistoryEvents: 40 } };
  await sendBatch(0, input);
  const alert = await eventually(async () => (await client.workflow.getHandle(correlatorId).query(entityStateQuery)).openAlerts[0], 'an alert');
  const playbook = client.workflow.getHandle(playbookWorkflowId(alert.id, 'quarantine-pod'));
  await eventually(async () => ((await playbook.query(playbookStatusQuery)).state === 'awaiting_approval' ? true : undefined), 'playbook awaiting approval');
  const firstRun = (await client.workflow.getHandle(correlatorId).describe()).runId;

  let i = 1;
  await eventually(async () => {
    await sendBatch(i++, input);
    const runId = (await client.workflow.getHandle(correlatorId).describe()).runId;
    return runId !== firstRun ? runId : undefined;
  }, 'correlator continue-as-new', 90_000, 50);
  expect((await client.workflow.getHandle(correlatorId, firstRun).describe()).status.name).toBe('CONTINUED_AS_NEW');

  // The abandoned child is untouched by its parent's continue-as-new.
  const waiting = await playbook.query(playbookStatusQuery);
  expect(waiting.state).toBe('awaiting_approval');
  expect((await playbook.describe()).status.name).toBe('RUNNING');

  const status = await decidePlaybook(client, playbook.workflowId, { decision: 'approve', by: 'alice', via: 'http', reason: 'after continue-as-new' });
  expect(status.decisions).toEqual([expect.objectContaining({ by: 'alice' })]);
  const report = (await playbook.result()) as PlaybookReport;
  expect(report.outcome).toBe('completed');
  expect(report.actions.some((a) => a.startsWith('report not delivered'))).toBe(false);

  const reported = await eventually(async () => {
    const view = await client.workflow.getHandle(correlatorId).query(entityStateQuery);
    return view.playbooks.find((p) => p.workflowId === playbook.workflowId);
  }, 'report at the correlator');
  expect(reported.outcome).toBe('completed');
  // The report landed in a run that started after the playbook did.
  expect((await client.workflow.getHandle(correlatorId).describe()).runId).not.toBe(firstRun);
});
