/**
 * Playbook actions against real HTTP fakes of the Kubernetes API (HTTPS with a private CA, reached
 * through a kubeconfig), AWS IAM, Slack and a ticket intake, on a real Temporal dev server: containment
 * with TTL and reverse-order undo, retries that become visible in history, a non-retryable refusal, IAM
 * over SigV4, Slack Block Kit buttons, "did you just do this?", repeat-offender TTL escalation, an
 * analyst keeping a containment, tickets.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { PlaybookReport } from '../../src/model/playbook';
import { containmentSignal, playbookStatusQuery, userResponseSignal } from '../../src/contracts/playbook/messages';
import { startAwsIamFake, type AwsIamFake } from '../helpers/fakes/aws-iam';
import { startHttpFake, type HttpFake } from '../helpers/fakes/http-fake';
import { startKubernetesApiFakeWithConfig, type KubernetesApiFake } from '../helpers/fakes/kubernetes-api';
import { startSlackApiFake, type SlackApiFake } from '../helpers/fakes/slack-api';
import { bindingFrom, entityView, podAlert, responseConfig } from './fixtures';
import { startPlaybookHarness, waitForState, type PlaybookHarness } from './harness';

const awsCredentials = { accessKeyId: 'AKIDVIGILTEST', secretAccessKey: 'c2VjcmV0LWZvci10ZXN0cw' };
let harness: PlaybookHarness;
let k8s: KubernetesApiFake;
let iam: AwsIamFake;
let slack: SlackApiFake;
let tickets: HttpFake;
let kubeconfig: string;

beforeAll(async () => {
  harness = await startPlaybookHarness('playbook-actions');
  ({ k8s, kubeconfig } = await startKubernetesApiFakeWithConfig('k8s-token'));
  iam = await startAwsIamFake([awsCredentials], { accessKeys: new Map(), userPolicies: new Map() });
  slack = await startSlackApiFake('xoxb-test', ['C0SECOPS', 'U04MALLORY']);
  tickets = await startHttpFake(() => ({ status: 201, body: { id: 'SEC-42', url: 'https://tickets.example/SEC-42' } }));
});

afterAll(async () => {
  await Promise.all([k8s?.close(), iam?.close(), slack?.close(), tickets?.close()]);
  await harness?.teardown();
});

function withWorker<T>(bindingsYaml: string, fn: () => Promise<T>, slackChannel = 'C0SECOPS'): Promise<T> {
  return harness.withWorker(
    {
      dryRun: false,
      responses: responseConfig(bindingsYaml),
      kubernetes: { kind: 'kubeconfig', path: kubeconfig },
      awsIam: { endpoint: `${iam.url}/`, region: 'us-east-1', credentials: awsCredentials },
      slack: { apiUrl: slack.apiUrl, botToken: 'xoxb-test', channel: slackChannel, incomingWebhookUrl: slack.incomingWebhookUrl },
      ticketWebhookUrl: `${tickets.url}/intake`,
      webhookSecret: 'ticket-secret',
    },
    fn,
  );
}

const noApprovalBinding = (containment: string, extra = '') => `
bindings:
  - playbook: contain
    match: {}
    params:
      notify: []
      containment: ${containment}
      retry: { initialInterval: 50ms, maximumInterval: 200ms, maximumAttempts: 4 }
${extra}`;

test('k8s: isolate pod, scale deployment to 0, cordon node; after the TTL every undo runs in reverse order', async () => {
  const alert = podAlert({ entity: { type: 'pod', id: 'shop/api-1' } });
  k8s.cluster.pods.set('shop/api-1', { labels: { app: 'api' } });
  k8s.cluster.deploymentReplicas.set('shop/api', 3);
  k8s.cluster.nodesUnschedulable.set('node-a', false);
  const yaml = noApprovalBinding(
    '[{ action: k8s.isolatePod }, { action: k8s.scaleDeployment, deployment: api }, { action: k8s.cordonNode, node: node-a }]',
    '      ttl: 1s',
  );
  const before = k8s.requests.length;
  const handle = await withWorker(yaml, async () => {
    const started = await harness.startPlaybook(alert, bindingFrom(yaml, 'contain'));
    await started.result();
    return started;
  });
  const report = await handle.result();
  // The whole run (activities, timer, signals to external workflows) replays deterministically.
  await harness.replay(handle);

  expect(report.outcome).toBe('completed');
  const calls = k8s.requests.slice(before).map((r) => `${r.method} ${r.path}`);
  expect(calls).toEqual([
    'PATCH /api/v1/namespaces/shop/pods/api-1',
    'POST /apis/networking.k8s.io/v1/namespaces/shop/networkpolicies',
    'GET /apis/apps/v1/namespaces/shop/deployments/api/scale',
    'PATCH /apis/apps/v1/namespaces/shop/deployments/api/scale',
    'GET /api/v1/nodes/node-a',
    'PATCH /api/v1/nodes/node-a',
    // undo, last applied first
    'GET /api/v1/nodes/node-a',
    'PATCH /api/v1/nodes/node-a',
    'GET /apis/apps/v1/namespaces/shop/deployments/api/scale',
    'PATCH /apis/apps/v1/namespaces/shop/deployments/api/scale',
    expect.stringMatching(/^DELETE \/apis\/networking\.k8s\.io\/v1\/namespaces\/shop\/networkpolicies\/vigil-quarantine-[0-9a-f]{16}$/),
    'PATCH /api/v1/namespaces/shop/pods/api-1',
  ]);
  const policy = JSON.parse(k8s.requests.slice(before)[1]!.body);
  expect(policy.spec).toEqual({ podSelector: { matchLabels: { 'vigil.dev/quarantine': expect.any(String) } }, policyTypes: ['Ingress', 'Egress'] });
  expect(k8s.cluster.pods.get('shop/api-1')!.labels).toEqual({ app: 'api' });
  expect(k8s.cluster.networkPolicies.size).toBe(0);
  expect(k8s.cluster.deploymentReplicas.get('shop/api')).toBe(3);
  expect(k8s.cluster.nodesUnschedulable.get('node-a')).toBe(false);
  expect(report.containment).toEqual(expect.objectContaining({ ttlMs: 1000, revertedAt: expect.any(Number) }));
  expect(report.containment!.applied).toHaveLength(3);
});

test('an action failing twice (HTTP 503) then succeeding: the third attempt is visible in history', async () => {
  const alert = podAlert({ entity: { type: 'pod', id: 'shop/flaky-1' } });
  k8s.cluster.pods.set('shop/flaky-1', { labels: {} });
  k8s.fail({ method: 'POST', path: /\/networkpolicies$/, status: 503, times: 2 });
  const yaml = noApprovalBinding('[{ action: k8s.isolatePod }]');
  await withWorker(yaml, async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(yaml, 'contain'));
    // Without a TTL a real containment holds until an analyst releases it.
    await waitForState(handle, 'contained');
    await handle.signal(containmentSignal, { command: 'release', by: 'alice', via: 'cli' });
    const report: PlaybookReport = await handle.result();
    expect(report.outcome).toBe('completed');
    const history = await handle.fetchHistory();
    const started = history.events!.filter((e) => e.activityTaskStartedEventAttributes);
    const isolate = history.events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'isolatePod')!;
    const isolateStarted = started.find((e) => String(e.activityTaskStartedEventAttributes!.scheduledEventId) === String(isolate.eventId))!;
    expect(isolateStarted.activityTaskStartedEventAttributes!.attempt).toBe(3);
    expect(isolateStarted.activityTaskStartedEventAttributes!.lastFailure?.message).toMatch(/HTTP 503/);
  });
  const posts = k8s.requests.filter((r) => r.method === 'POST' && JSON.parse(r.body).spec?.podSelector);
  expect(posts.slice(-3).map((r) => JSON.parse(r.body).metadata.name)).toEqual(Array(3).fill(posts[posts.length - 1] && JSON.parse(posts[posts.length - 1]!.body).metadata.name));
  expect(k8s.cluster.pods.get('shop/flaky-1')!.labels).toEqual({});
});

test('a non-retryable failure (HTTP 403) fails the playbook after one attempt and is reported as failed', async () => {
  const alert = podAlert({ entity: { type: 'pod', id: 'shop/locked-1' } });
  k8s.cluster.pods.set('shop/locked-1', { labels: {} });
  k8s.fail({ method: 'PATCH', path: /\/pods\/locked-1$/, status: 403, times: 5 });
  const yaml = noApprovalBinding('[{ action: k8s.isolatePod }]');
  const before = k8s.requests.length;
  await withWorker(yaml, async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(yaml, 'contain'));
    const failure = await handle.result().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ActivityFailure);
    expect((cause as ActivityFailure).cause).toBeInstanceOf(ApplicationFailure);
    expect(((cause as ActivityFailure).cause as ApplicationFailure).type).toBe('VGL_ACTION_REJECTED');
    expect(((cause as ActivityFailure).cause as ApplicationFailure).nonRetryable).toBe(true);
    const reports: PlaybookReport[] = await harness.client.workflow.getHandle(alert.correlatorWorkflowId).result();
    expect(reports).toEqual([expect.objectContaining({ outcome: 'failed' })]);
    expect(reports[0]!.actions[reports[0]!.actions.length - 1]).toMatch(/^failed: .*HTTP 403/);
  });
  expect(k8s.requests.slice(before).filter((r) => r.path.endsWith('/pods/locked-1'))).toHaveLength(1);
});

test('AWS IAM over SigV4: deactivate the access key and attach deny-all; throttling is retried; the TTL reverts both', async () => {
  const alert = podAlert({
    entity: { type: 'user', id: 'arn:aws:iam::111122223333:user/dev-ci' },
    events: [{ id: 'ct-1', time: 1, source: 'cloudtrail', fields: { 'userIdentity.userName': 'dev-ci', 'userIdentity.accessKeyId': 'AKIAEXAMPLE0001' } }],
  });
  iam.state.accessKeys.set('dev-ci', new Map([['AKIAEXAMPLE0001', 'Active'], ['AKIAEXAMPLE0002', 'Active']]));
  iam.failNext('PutUserPolicy', 400, 'Throttling', 1);
  const yaml = noApprovalBinding('[{ action: aws.deactivateAccessKey }, { action: aws.denyAllUserPolicy }]', '      ttl: 1s');
  let during: string | undefined;
  const report: PlaybookReport = await withWorker(yaml, async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(yaml, 'contain'));
    await waitForState(handle, 'contained');
    during = iam.state.accessKeys.get('dev-ci')!.get('AKIAEXAMPLE0001');
    expect(JSON.parse(iam.state.userPolicies.get('dev-ci/vigil-deny-all')!).Statement[0]).toEqual(expect.objectContaining({ Effect: 'Deny', Action: '*', Resource: '*' }));
    return handle.result();
  });
  expect(during).toBe('Inactive');
  expect(report.outcome).toBe('completed');
  expect(iam.calls).toEqual(['ListAccessKeys', 'UpdateAccessKey', 'PutUserPolicy', 'PutUserPolicy', 'DeleteUserPolicy', 'ListAccessKeys', 'UpdateAccessKey']);
  expect(iam.state.accessKeys.get('dev-ci')!.get('AKIAEXAMPLE0001')).toBe('Active');
  expect(iam.state.accessKeys.get('dev-ci')!.get('AKIAEXAMPLE0002')).toBe('Active');
  expect(iam.state.userPolicies.size).toBe(0);
});

test('Slack: the approval request is Block Kit with Approve/Deny/False-positive buttons and the live risk and timeline', async () => {
  const alert = podAlert({ entity: { type: 'pod', id: 'shop/slack-1' } });
  const yaml = `
bindings:
  - playbook: ask-slack
    match: {}
    params:
      notify: [slack, slack_webhook]
      approval: { groups: [oncall], timeout: 1h }
      containment: []
`;
  await withWorker(yaml, async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(yaml, 'ask-slack'));
    await waitForState(handle, 'awaiting_approval');
    await handle.signal('approve', { by: 'alice', via: 'chat' });
    expect((await handle.result()).outcome).toBe('completed');
  });
  const request = slack.messages.find((m) => m.via === 'api' && JSON.stringify(m.blocks).includes(alert.id) && m.blocks.some((b) => b.type === 'actions'))!;
  expect(request.channel).toBe('C0SECOPS');
  const actions = request.blocks.find((b) => b.type === 'actions') as { elements: Array<{ action_id: string; value: string }> };
  expect(actions.elements.map((e) => e.action_id)).toEqual(['vigil_approve', 'vigil_deny', 'vigil_false_positive']);
  expect(actions.elements.every((e) => e.value === `playbook:ask-slack:${alert.id}`)).toBe(true);
  const text = JSON.stringify(request.blocks);
  expect(text).toContain('*Risk*\\n72');
  expect(text).toContain('exec into shop/web-7d9f');
  expect(text).toContain('<@U01ALICE>');
  expect(slack.messages.some((m) => m.via === 'webhook' && JSON.stringify(m.blocks).includes(alert.id))).toBe(true);
});

test('Slack answering ok:false (channel_not_found) is permanent: one attempt, recorded, and the playbook goes on', async () => {
  const alert = podAlert({ entity: { type: 'pod', id: 'shop/nochannel-1' } });
  const yaml = `
bindings:
  - playbook: contain
    match: {}
    params:
      notify: [slack]
      containment: [{ action: k8s.isolatePod }]
      dryRun: true
`;
  const before = slack.requests.length;
  const report: PlaybookReport = await withWorker(yaml, async () => (await harness.startPlaybook(alert, bindingFrom(yaml, 'contain'))).result(), 'C0NOWHERE');
  expect(report.outcome).toBe('completed');
  expect(report.actions[report.actions.length - 1]).toMatch(/^slack notice contained failed: Slack chat\.postMessage to C0NOWHERE: channel_not_found/);
  expect(slack.requests.slice(before).filter((r) => r.path === '/api/chat.postMessage')).toHaveLength(1);
});

test('"did you just do this?": the user answers "not me" and the playbook contains at once, without waiting for approval', async () => {
  const alert = podAlert({ entity: { type: 'pod', id: 'shop/confirm-1' } });
  k8s.cluster.pods.set('shop/confirm-1', { labels: {} });
  const yaml = `
bindings:
  - playbook: confirm-then-contain
    match: {}
    params:
      notify: []
      confirmUser: { timeout: 1h }
      approval: { groups: [oncall], timeout: 1h }
      containment: [{ action: k8s.isolatePod }]
`;
  await withWorker(yaml, async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(yaml, 'confirm-then-contain'));
    await waitForState(handle, 'awaiting_user');
    // Only the user the alert is about may answer.
    await handle.signal(userResponseSignal, { answer: 'confirmed', by: 'alice', via: 'chat' });
    await handle.signal(userResponseSignal, { answer: 'not_me', by: 'mallory', via: 'chat' });
    await waitForState(handle, 'contained');
    expect(k8s.cluster.networkPolicies.size).toBeGreaterThan(0);
    await handle.signal(containmentSignal, { command: 'release', by: 'alice', via: 'chat' });
    const report: PlaybookReport = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(report.decisions).toEqual([]);
    expect(report.actions).toEqual(expect.arrayContaining(['asked mallory to confirm (Slack U04MALLORY)', 'mallory answered via chat: it was not me']));
  });
  const dm = slack.messages.find((m) => m.channel === 'U04MALLORY' && JSON.stringify(m.blocks).includes(alert.id))!;
  expect(dm.text).toMatch(/^Did you just do this\?/);
});

test('"did you just do this?": the user confirms, nothing is contained', async () => {
  const alert = podAlert({ entity: { type: 'pod', id: 'shop/confirm-2' } });
  const yaml = `
bindings:
  - playbook: confirm-only
    match: {}
    params:
      notify: []
      confirmUser: { timeout: 1h, onSilence: contain }
      containment: [{ action: k8s.isolatePod }]
`;
  const before = k8s.requests.length;
  await withWorker(yaml, async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(yaml, 'confirm-only'));
    await waitForState(handle, 'awaiting_user');
    await handle.signal(userResponseSignal, { answer: 'confirmed', by: 'mallory', via: 'chat' });
    const report: PlaybookReport = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(report.containment).toBeUndefined();
  });
  expect(k8s.requests.length).toBe(before);
});

test('repeat offender: the TTL doubles per earlier containment the correlator remembers; kept past the TTL until released', async () => {
  const alert = podAlert({ entity: { type: 'pod', id: 'shop/repeat-1' } });
  k8s.cluster.pods.set('shop/repeat-1', { labels: {} });
  const view = entityView(alert);
  const earlier = { alertId: 'old', playbook: 'contain', workflowId: 'w', outcome: 'completed' as const, decisions: [], actions: [], containment: { applied: ['isolated'], ttlMs: 60_000, revertedAt: 1 } };
  view.playbooks = [earlier, { ...earlier, alertId: 'older' }];
  const yaml = noApprovalBinding('[{ action: k8s.isolatePod }]', '      ttl: 1h\n      maxTtl: 3h');
  const report: PlaybookReport = await withWorker(yaml, async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(yaml, 'contain'), view);
    await waitForState(handle, 'contained');
    const contained = await handle.query(playbookStatusQuery);
    expect(contained.holds).toEqual(['k8s.pod:shop/repeat-1']);
    // alice is in no group of this approval-less playbook, but she is not the alert's subject either.
    await handle.signal(containmentSignal, { command: 'keep', by: 'alice', reason: 'still investigating', via: 'cli' });
    for (;;) {
      const status = await handle.query(playbookStatusQuery);
      if (status.actions.some((a) => a.startsWith('containment kept by alice'))) {
        expect(status.state).toBe('contained');
        expect(status.waitUntil).toBeUndefined();
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The subject of the alert cannot release their own quarantine.
    await handle.signal(containmentSignal, { command: 'release', by: 'mallory', via: 'chat' });
    expect(k8s.cluster.pods.get('shop/repeat-1')!.labels['vigil.dev/quarantine']).toBeDefined();
    await handle.signal(containmentSignal, { command: 'release', by: 'bob', via: 'http' });
    return handle.result();
  });
  // 1h × 2² = 4h, capped at maxTtl 3h.
  expect(report.containment).toEqual(expect.objectContaining({ ttlMs: 3 * 3_600_000, keptBy: 'alice', revertedAt: expect.any(Number) }));
  expect(report.actions).toContain('containment released by bob via http');
  expect(k8s.cluster.pods.get('shop/repeat-1')!.labels).toEqual({});
  const reports: PlaybookReport[] = await harness.client.workflow.getHandle(alert.correlatorWorkflowId).result();
  expect(reports).toEqual([report]);
});

test('two runs contain the same node: the first to let go hands its undo to the other, which uncordons last', async () => {
  k8s.cluster.nodesUnschedulable.set('node-shared', false);
  const yaml = noApprovalBinding('[{ action: k8s.cordonNode, node: node-shared }]');
  const visiblyContained = async (workflowId: string) => {
    // The hand-over looks holders up through visibility, which lags the run by a moment.
    while ((await harness.client.workflow.count(`WorkflowId = '${workflowId}' AND PlaybookState = 'contained'`)).count === 0) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  await withWorker(yaml, async () => {
    // The first run cordons the node (declaring uncordon); the second finds it cordoned (no undo of its own).
    const first = await harness.startPlaybook(podAlert({ entity: { type: 'host', id: 'node-shared' } }), bindingFrom(yaml, 'contain'));
    await waitForState(first, 'contained');
    const second = await harness.startPlaybook(podAlert({ entity: { type: 'host', id: 'node-shared' } }), bindingFrom(yaml, 'contain'));
    await waitForState(second, 'contained');
    expect((await second.query(playbookStatusQuery)).actions).toContain('left already cordoned node node-shared');
    await visiblyContained(second.workflowId);

    await first.signal(containmentSignal, { command: 'release', by: 'alice', via: 'cli' });
    const firstReport: PlaybookReport = await first.result();
    expect(firstReport.actions).toContain(`k8s.node:node-shared is still held by ${second.workflowId}: handed it the undo`);
    expect(k8s.cluster.nodesUnschedulable.get('node-shared')).toBe(true);

    await second.signal(containmentSignal, { command: 'release', by: 'alice', via: 'cli' });
    const secondReport: PlaybookReport = await second.result();
    expect(secondReport.actions).toEqual(expect.arrayContaining([`took over the undo of k8s.node:node-shared from ${first.workflowId}`, 'uncordoned node node-shared']));
    await harness.replay(first);
    await harness.replay(second);
  });
  expect(k8s.cluster.nodesUnschedulable.get('node-shared')).toBe(false);
});

test('cancelling a contained run reverts what it holds before it ends, and reports it', async () => {
  const alert = podAlert({ entity: { type: 'pod', id: 'shop/cancel-1' } });
  k8s.cluster.pods.set('shop/cancel-1', { labels: {} });
  const yaml = noApprovalBinding('[{ action: k8s.isolatePod }]');
  await withWorker(yaml, async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(yaml, 'contain'));
    await waitForState(handle, 'contained');
    expect(k8s.cluster.pods.get('shop/cancel-1')!.labels['vigil.dev/quarantine']).toBeDefined();
    await handle.cancel();
    const failure = await handle.result().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const reports: PlaybookReport[] = await harness.client.workflow.getHandle(alert.correlatorWorkflowId).result();
    expect(reports[0]).toEqual(expect.objectContaining({ outcome: 'failed', containment: expect.objectContaining({ revertedAt: expect.any(Number) }) }));
    expect(reports[0]!.actions).toEqual(expect.arrayContaining([expect.stringMatching(/^released pod shop\/cancel-1/)]));
  });
  expect(k8s.cluster.pods.get('shop/cancel-1')!.labels).toEqual({});
});

test('ticket via webhook: opened with an idempotency key, its id recorded in the report', async () => {
  const alert = podAlert({ entity: { type: 'pod', id: 'shop/ticket-1' } });
  const yaml = noApprovalBinding('[]', '      ticket: true');
  const report: PlaybookReport = await withWorker(yaml, async () => (await harness.startPlaybook(alert, bindingFrom(yaml, 'contain'))).result());
  expect(report.actions).toContain('opened ticket SEC-42 (https://tickets.example/SEC-42)');
  const posted = tickets.requests.find((r) => JSON.parse(r.body).alertId === alert.id)!;
  expect(posted.headers['idempotency-key']).toBe(`vigil-playbook:contain:${alert.id}`);
  expect(posted.headers['x-vigil-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
  expect(JSON.parse(posted.body).title).toBe(`[Vigil] ${alert.rule.title} on pod shop/ticket-1`);
});
