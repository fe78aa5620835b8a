/**
 * A playbook outlives its correlator's run: the real correlator (in a real `vigil worker` process)
 * raises an alert and starts the playbook as an ABANDON child; while the playbook waits for approval
 * the correlator continues-as-new (its history limit is lowered through its input settings); the
 * approval (`vigil approve`, after `vigil playbooks list --awaiting` shows the run and a refused
 * `vigil deny`) then completes the playbook, and its report reaches the correlator's *new* run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Detection } from '../../src/model/detection';
import type { PlaybookReport } from '../../src/model/playbook';
import { correlatorWorkflowId, playbookTargetWorkflowId, tenantTaskQueue } from '../../src/temporal/workflow-ids';
import type { CorrelatorInput } from '../../src/contracts/correlator/input';
import { detectionBatchSignal, entityStateQuery, type DetectionBatch } from '../../src/contracts/correlator/messages';
import { playbookStatusQuery } from '../../src/contracts/playbook/messages';
import type { correlatorWorkflow } from '../../workflows/correlator/correlator';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver';
import { approversFor, makeRulesDir, podExecRule } from '../helpers/rules-dir';
import { eventually, sharedClient, sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { runVigil, startVigil, type VigilProcess } from '../helpers/vigil-process';

const tenant = uniqueTenant('pbcan');
const entity = { type: 'pod' as const, id: 'payments/api-7c9d' };
const correlatorId = correlatorWorkflowId(tenant, entity);
const rule = { id: '0f7d8a52-7c1e-4d0b-9a51-2f4a1c9e0b01', name: 'test_pod_exec', title: 'Test - exec into a pod', level: 'high' as const, tags: ['attack.execution', 'attack.t1609'] };

let client: Client;
let webhook: HttpReceiver;
let worker: VigilProcess;
let cliEnv: Record<string, string>;

beforeAll(async () => {
  webhook = await startHttpReceiver();
  client = await sharedClient();
  const rulesDir = makeRulesDir({ 'pod-exec.yml': podExecRule });
  approversFor(rulesDir, tenant);
  cliEnv = { TEMPORAL_ADDRESS: sharedTemporalAddress(), VIGIL_RULES_DIR: rulesDir };
  worker = startVigil(['worker'], {
    TEMPORAL_ADDRESS: sharedTemporalAddress(),
    VIGIL_TENANTS: tenant,
    VIGIL_RULES_DIR: rulesDir,
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
  return client.workflow.signalWithStart<typeof correlatorWorkflow, [DetectionBatch]>('correlatorWorkflow', {
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
  const playbook = client.workflow.getHandle(playbookTargetWorkflowId(tenant, 'quarantine-pod', `k8s.pod:${entity.id}`));
  const started = await eventually(async () => {
    const status = await playbook.query(playbookStatusQuery);
    return status.state === 'awaiting_approval' ? status : undefined;
  }, 'playbook awaiting approval');
  expect(started.alertId).toBe(alert.id);
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

  // The CLI: the waiting run is listed; a refused decision exits 2 with its code; then alice approves.
  const listed = await eventually(async () => {
    const run = runVigil(['playbooks', 'list', '--awaiting', '--tenant', tenant, '--json'], cliEnv);
    const rows = run.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { workflowId: string; state: string });
    return rows.find((row) => row.workflowId === playbook.workflowId);
  }, 'the run in vigil playbooks list --awaiting');
  expect(listed.state).toBe('awaiting_approval');
  const refused = runVigil(['deny', playbook.workflowId, '--as', 'carol'], cliEnv);
  expect(refused.status).toBe(2);
  expect(refused.stderr).toMatch(/^VGL_APPROVAL_UNAUTHORIZED: /);
  const approved = runVigil(['approve', playbook.workflowId, '--reason', 'after continue-as-new'], cliEnv);
  expect(approved.stderr).toBe('');
  expect(approved.stdout).toMatch(/^approved playbook:quarantine-pod:/);
  const report = (await playbook.result()) as PlaybookReport;
  expect(report.decisions).toEqual([expect.objectContaining({ decision: 'approve', by: 'alice', via: 'cli', reason: 'after continue-as-new' })]);
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
