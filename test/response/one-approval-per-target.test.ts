/**
 * One approval per target, end to end on the run's Temporal server: real correlators (pod, host and user entities)
 * each raise an alert naming the same pod, the quarantine playbook bound to them runs once for the pod with every
 * alert attached, one approval isolates the pod once (the fake Kubernetes API over HTTPS counts the requests), a
 * repeated alert attaches once, another pod gets its own run, and a run that stopped acting on its pod (released,
 * denied) leaves later alerts to a new run that asks again.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { PlaybookNotice } from '../../src/contracts/playbook/notice';
import {
  attachAlertSignal,
  containmentSignal,
  decideUpdate,
  playbookStatusQuery,
  type PlaybookStatus,
} from '../../src/contracts/playbook/messages';
import type { Alert } from '../../src/model/alert';
import type { EntityRef } from '../../src/model/entity';
import type { PlaybookReport } from '../../src/model/playbook';
import { dataConverter } from '../../src/temporal/data-converter';
import { playbookTargetWorkflowId, playbookWorkflowId } from '../../src/temporal/workflow-ids';
import { startHttpFake, type HttpFake } from '../helpers/fakes/http-fake';
import { startKubernetesApiFakeWithConfig, type KubernetesApiFake } from '../helpers/fakes/kubernetes-api';
import { approversFor } from '../helpers/rules-dir';
import { eventually, sharedTemporalAddress } from '../helpers/shared-servers';
import { vigilWorkflowBundle } from '../helpers/workflow-bundles';
import { startCorrelatorHarness, type CorrelatorHarness } from '../workflows/correlator-harness';

const bindingsYaml = `
bindings:
  - playbook: quarantine
    match: { ruleNames: [t_exec], sources: [k8s_audit] }
    params:
      notify: [webhook]
      approval: { groups: [secops-oncall], timeout: 1h }
      containment: [{ action: k8s.isolatePod }]
      retry: { initialInterval: 50ms, maximumInterval: 200ms, maximumAttempts: 4 }
`;

let h: CorrelatorHarness;
let k8s: KubernetesApiFake;
let notices: HttpFake;
/** While set, the webhook holds the `decided` notice of this run until `release` is called. */
let hold: { workflowId: string; released: Promise<void>; release: () => void } | undefined;

beforeAll(async () => {
  // Loaded before any action runs: a cold jest transform of this ES module takes longer than an action's 30 s
  // timeout, and a retried isolation would send its requests twice (see test/response/harness.ts).
  require('@kubernetes/client-node');
  const { k8s: fake, kubeconfig } = await startKubernetesApiFakeWithConfig('k8s-token');
  k8s = fake;
  notices = await startHttpFake(async (request) => {
    const notice = JSON.parse(request.body) as PlaybookNotice;
    if (hold && notice.kind === 'decided' && notice.workflowId === hold.workflowId) await hold.released;
    return { status: 200, body: { ok: true } };
  });
  h = await startCorrelatorHarness('oneappr', sharedTemporalAddress(), {
    prepareRules: (rulesDir, tenant) => {
      approversFor(rulesDir, tenant);
      writeFileSync(path.join(rulesDir, 'responses', 'bindings.yml'), bindingsYaml);
    },
    activities: { dryRun: false, kubernetes: { kind: 'kubeconfig', path: kubeconfig }, webhookUrl: `${notices.url}/notices` },
  });
});

afterAll(async () => {
  if (h) {
    const running = h.client.workflow.list({ query: `WorkflowType = 'playbookWorkflow' AND TenantId = '${h.tenant}' AND ExecutionStatus = 'Running'` });
    for await (const run of running) await h.client.workflow.getHandle(run.workflowId).terminate('test file done').catch(() => undefined);
    await h.close();
  }
  await Promise.all([k8s?.close(), notices?.close()]);
});

let events = 0;

/** `user` runs a shell in pod `namespace`/`pod` (a k8s audit detection of the high-level t_exec rule), sent to `entity`'s correlator. */
async function execInPod(entity: EntityRef, namespace: string, pod: string, user: string): Promise<Alert> {
  events += 1;
  const eventId = `exec-${events}`;
  const detection = {
    ...h.det(eventId, 't_exec', entity, Date.now(), user),
    source: 'k8s_audit' as const,
    fields: { verb: 'create', 'objectRef.resource': 'pods', 'objectRef.subresource': 'exec', 'objectRef.namespace': namespace, 'objectRef.name': pod, 'user.username': user },
    summary: `${user} exec into ${namespace}/${pod}`,
  };
  await h.send(entity, `batch-${eventId}`, [detection]);
  const view = await h.stateWhen(entity, (v) => v.openAlerts.some((a) => a.events.some((e) => e.id === eventId)), `the alert for ${eventId} on ${entity.type} ${entity.id}`);
  return view.openAlerts.find((a) => a.events.some((e) => e.id === eventId))!;
}

const runFor = (namespace: string, pod: string): WorkflowHandle => h.client.workflow.getHandle(playbookTargetWorkflowId(h.tenant, 'quarantine', `k8s.pod:${namespace}/${pod}`));

async function statusWhen(handle: WorkflowHandle, ready: (status: PlaybookStatus) => boolean, what: string): Promise<PlaybookStatus> {
  return eventually(async () => {
    const status = await handle.query(playbookStatusQuery).catch(() => undefined);
    return status && ready(status) ? status : undefined;
  }, what);
}

/** No run of its own was started for the alert (the id it would have had does not exist). */
async function expectNoRunOfItsOwn(alert: Alert): Promise<void> {
  await expect(h.client.workflow.getHandle(playbookWorkflowId(alert.id, 'quarantine')).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
}

/** Each test's pod lives in a namespace of its own. */
const k8sCalls = (namespace: string) => k8s.requests.filter((r) => r.path.includes(`/namespaces/${namespace}/`)).map((r) => `${r.method} ${r.path}`);
const approvalRequests = (workflowId: string) =>
  notices.requests.map((r) => JSON.parse(r.body) as PlaybookNotice).filter((n) => n.workflowId === workflowId && n.kind === 'approval_request');

test('alerts for one pod from five correlators: one run, one approval request, all five attached; one approval isolates the pod once', async () => {
  k8s.cluster.pods.set('shop/web-1', { labels: { app: 'web' } });
  const run = runFor('shop', 'web-1');
  // Two correlators first: the pod's own and its node's.
  const first = [await execInPod({ type: 'pod', id: 'shop/web-1' }, 'shop', 'web-1', 'mallory'), await execInPod({ type: 'host', id: 'node-a' }, 'shop', 'web-1', 'mallory')];
  await statusWhen(run, (s) => s.state === 'awaiting_approval' && s.alerts.length === 2, 'one run awaiting approval with both alerts');
  // Three users' correlators raise theirs for the same pod.
  const more = [];
  for (const user of ['eve', 'bob', 'oscar']) more.push(await execInPod({ type: 'user', id: user }, 'shop', 'web-1', user));
  const alerts = [...first, ...more];
  const waiting = await statusWhen(run, (s) => s.alerts.length === 5, 'five alerts attached');
  expect(waiting.state).toBe('awaiting_approval');
  expect(waiting.alerts.map((a) => a.id)).toEqual(alerts.map((a) => a.id));
  expect(new Set(waiting.alerts.map((a) => a.correlatorWorkflowId)).size).toBe(5);
  for (const alert of alerts) await expectNoRunOfItsOwn(alert);
  const listed = h.client.workflow.list({ query: `WorkflowType = 'playbookWorkflow' AND TenantId = '${h.tenant}' AND ExecutionStatus = 'Running'` });
  const runIds = [];
  for await (const info of listed) runIds.push(info.workflowId);
  expect(runIds).toEqual([run.workflowId]);

  // Everyone an attached alert names is a subject: bob is on call, but an attached alert names him.
  await expect(run.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'bob', via: 'cli' }] })).rejects.toMatchObject({ cause: { type: 'VGL_APPROVAL_SELF' } });
  const decided = await run.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'alice', via: 'cli' }] });
  expect(decided.decisions).toHaveLength(1);
  await statusWhen(run, (s) => s.state === 'contained', 'the pod contained');
  expect(k8sCalls('shop')).toEqual(['PATCH /api/v1/namespaces/shop/pods/web-1', 'POST /apis/networking.k8s.io/v1/namespaces/shop/networkpolicies']);
  expect(approvalRequests(run.workflowId)).toHaveLength(1);

  // While contained, a sixth alert is evidence for the containment: attached, nobody asked, nothing applied again.
  const sixth = await execInPod({ type: 'user', id: 'peggy' }, 'shop', 'web-1', 'peggy');
  const evidence = await statusWhen(run, (s) => s.alerts.length === 6, 'the sixth alert attached');
  expect(evidence.state).toBe('contained');
  await expectNoRunOfItsOwn(sixth);

  // A repeated alert (a correlator replaying, a redelivered signal) attaches once. Signals are handled in order:
  // once the next new alert is in, the repeats before it have been handled too.
  await run.signal(attachAlertSignal, alerts[0]!);
  await run.signal(attachAlertSignal, sixth);
  await run.signal(attachAlertSignal, { ...sixth, id: `${sixth.id}-copy` });
  const afterRepeats = await statusWhen(run, (s) => s.alerts.length === 7, 'the new alert after the repeats');
  expect(new Set(afterRepeats.alerts.map((a) => a.id)).size).toBe(7);
  expect(k8sCalls('shop')).toHaveLength(2);
  expect(approvalRequests(run.workflowId)).toHaveLength(1);

  // Release: one undo; the report names every alert and reaches each correlator.
  await run.signal(containmentSignal, { command: 'release', by: 'alice', via: 'cli' });
  const report = (await run.result()) as PlaybookReport;
  expect(report.outcome).toBe('completed');
  expect(report.alertIds).toEqual(afterRepeats.alerts.map((a) => a.id));
  expect(k8sCalls('shop').filter((c) => c.startsWith('DELETE'))).toHaveLength(1);
  await h.stateWhen({ type: 'user', id: 'oscar' }, (v) => v.playbooks.some((p) => p.workflowId === run.workflowId), "the report in an attached alert's correlator");
  // The run, the correlator that started it and one that attached replay with the current code.
  const bundle = await vigilWorkflowBundle();
  for (const handle of [run, h.handle({ type: 'pod', id: 'shop/web-1' }), h.handle({ type: 'host', id: 'node-a' })]) {
    await Worker.runReplayHistory({ workflowBundle: bundle, dataConverter }, await handle.fetchHistory(), handle.workflowId);
  }

  // The run ended: the next alert for the pod starts a new run (same id) and asks again.
  const later = await execInPod({ type: 'user', id: 'victor' }, 'shop', 'web-1', 'victor');
  const next = await statusWhen(run, (s) => s.alertId === later.id && s.state === 'awaiting_approval', 'a new run for the later alert');
  expect(next.alerts.map((a) => a.id)).toEqual([later.id]);
  expect(approvalRequests(run.workflowId)).toHaveLength(2);
});

test('another pod gets its own run; an alert that arrives after a denial gets a new run that asks again', async () => {
  k8s.cluster.pods.set('billing/api-2', { labels: {} });
  const run = runFor('billing', 'api-2');
  const first = await execInPod({ type: 'pod', id: 'billing/api-2' }, 'billing', 'api-2', 'mallory');
  const waiting = await statusWhen(run, (s) => s.state === 'awaiting_approval', 'the run for the other pod');
  expect(waiting.alerts.map((a) => a.id)).toEqual([first.id]);

  // Deny, and while the run is still telling people so, a new alert for the pod arrives.
  let release!: () => void;
  hold = { workflowId: run.workflowId, released: new Promise<void>((r) => (release = r)), release: () => release() };
  await run.executeUpdate(decideUpdate, { args: [{ decision: 'deny', by: 'alice', via: 'cli', reason: 'expected maintenance' }] });
  await eventually(async () => (notices.requests.some((r) => (JSON.parse(r.body) as PlaybookNotice).kind === 'decided' && r.body.includes(run.workflowId)) ? true : undefined), 'the decided notice');
  const late = await execInPod({ type: 'user', id: 'wendy' }, 'billing', 'api-2', 'wendy');
  await statusWhen(run, (s) => s.actions.some((a) => a.includes(late.id) && a.includes('next run')), 'the late alert recorded');
  hold.release();
  hold = undefined;

  // The denied run ends; the same workflow id continues as new for the late alert and asks again.
  const again = await statusWhen(run, (s) => s.alertId === late.id && s.state === 'awaiting_approval', 'a new run for the late alert');
  expect(again.alerts.map((a) => a.id)).toEqual([late.id]);
  expect(again.correlatorWorkflowId).toBe(late.correlatorWorkflowId);
  expect(k8sCalls('billing')).toEqual([]);
  const denied = await h.stateWhen({ type: 'pod', id: 'billing/api-2' }, (v) => v.playbooks.some((p) => p.workflowId === run.workflowId), 'the denied report');
  // One report from the denied run (the new one is still waiting).
  expect(denied.playbooks.filter((p) => p.workflowId === run.workflowId).map((p) => p.outcome)).toEqual(['denied']);
  await expectNoRunOfItsOwn(late);
});
