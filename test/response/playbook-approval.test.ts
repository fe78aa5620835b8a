/**
 * Playbook approval paths on a real Temporal dev server: approve, deny, unauthorized and self approval
 * refused by the update validator, timeout → escalation → declared default. External systems are real
 * HTTP fakes; the correlator is the test stand-in that records reports.
 */
import path from 'node:path';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from '../../activities';
import type { Alert } from '../../src/model/alert';
import type { PlaybookBinding } from '../../src/model/playbook';
import { PlaybookState } from '../../src/temporal/search-attributes';
import { decideUpdate, playbookStatusQuery, type PlaybookStateValue } from '../../workflows/playbook/messages';
import { startHttpFake, type HttpFake } from '../helpers/fakes/http-fake';
import { startTemporalEnv } from '../helpers/temporal-env';
import { bindingFrom, entityView, podAlert, responseConfig } from './fixtures';
import { correlatorStandIn } from './workflows/correlator-stand-in';

const bindings = (timeout: string) => `
bindings:
  - playbook: quarantine-pod
    match: { tags: [attack.execution] }
    params:
      notify: [webhook]
      approval: { groups: [oncall, leads], quorum: 1, timeout: ${timeout}, default: deny }
      containment: [{ action: k8s.isolatePod }]
      dryRun: true
      retry: { initialInterval: 100ms, maximumAttempts: 3 }
`;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let webhook: HttpFake;
const taskQueue = 'playbook-approval';

beforeAll(async () => {
  env = await startTemporalEnv();
  bundle = await bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'workflows/index.ts'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
  webhook = await startHttpFake(() => ({ status: 200, body: { ok: true } }));
});

afterAll(async () => {
  await webhook?.close();
  await env?.teardown();
});

async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
  const activities = createActivities({
    logger: pino({ level: 'silent' }),
    dryRun: false,
    responses: responseConfig(bindings('1h')),
    client: env.client,
    webhookUrl: `${webhook.url}/hooks/vigil`,
    webhookSecret: 'test-secret',
  });
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
  return worker.runUntil(fn());
}

async function startPlaybook(alert: Alert, binding: PlaybookBinding): Promise<WorkflowHandle> {
  await env.client.workflow.start(correlatorStandIn, { workflowId: alert.correlatorWorkflowId, taskQueue, args: [entityView(alert), 1] });
  return env.client.workflow.start('playbookWorkflow', {
    workflowId: `playbook:${binding.playbook}:${alert.id}`,
    taskQueue,
    args: [{ alert, binding, correlatorWorkflowId: alert.correlatorWorkflowId }],
  });
}

async function waitForState(handle: WorkflowHandle, state: PlaybookStateValue): Promise<void> {
  for (;;) {
    if ((await handle.query(playbookStatusQuery)).state === state) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('approve: an on-call approver approves, containment runs (dry-run), the correlator gets the report', async () => {
  const alert = podAlert();
  await withWorker(async () => {
    const handle = await startPlaybook(alert, bindingFrom(bindings('1h'), 'quarantine-pod'));
    await waitForState(handle, 'awaiting_approval');
    const listed = await env.client.workflow.count(`PlaybookState = 'awaiting_approval' AND AlertId = '${alert.id}'`);
    const status = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'alice', reason: 'confirmed shell', via: 'cli' }] });
    expect(status.decisions).toEqual([expect.objectContaining({ decision: 'approve', by: 'alice', via: 'cli', reason: 'confirmed shell' })]);

    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(report.actions).toContain('[dry-run] isolated pod shop/web-7d9f (label vigil.dev/quarantine=' + report.actions.find((a: string) => a.startsWith('[dry-run] isolated'))!.split('=')[1]);
    const reports = await env.client.workflow.getHandle(alert.correlatorWorkflowId).result();
    expect(reports).toEqual([report]);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(PlaybookState)).toBe('completed');
    expect((description.memo as { decisions: unknown[] }).decisions).toHaveLength(1);
    // Visibility is eventually consistent; the count is read while the run was waiting.
    expect(listed.count).toBeLessThanOrEqual(1);
  });
  const notice = webhook.requests.find((r) => JSON.parse(r.body).alert.id === alert.id && JSON.parse(r.body).kind === 'approval_request')!;
  expect(notice.headers['x-vigil-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
  expect(JSON.parse(notice.body).entity.riskScore).toBe(72);
});
