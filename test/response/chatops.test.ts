/**
 * The chatops server against real playbook runs on a real Temporal dev server: Slack buttons and the
 * slash command with signed requests, forged and stale signatures refused with 401 and nothing sent to
 * the workflow, the JSON API with bearer tokens, identities mapped from chat users, every caller scoped
 * to its tenants (checked against the run's TenantId, not only in lists), and response_url posts only
 * to Slack's origins.
 */
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { slackActionIds } from '../../activities/slack-blocks';
import { buildChatopsApp } from '../../src/chatops/app';
import { slackSignature } from '../../src/chatops/slack-signature';
import { playbookStatusQuery } from '../../workflows/playbook/messages';
import { startHttpFake, type HttpFake } from '../helpers/fakes/http-fake';
import { bindingFrom, oncallApprovalYaml, podAlert, responseConfig } from './fixtures';
import { startPlaybookHarness, waitForState, type PlaybookHarness } from './harness';
import { standInVerdictsQuery } from './workflows/correlator-stand-in';

const signingSecret = '8f742231b10e8888abcd99yyyzzz85a5';
const bindingsYaml = oncallApprovalYaml('approve-me');
const responses = responseConfig(bindingsYaml);

let harness: PlaybookHarness;
let app: FastifyInstance;
let baseUrl: string;
let responseUrls: HttpFake;
/** Stands for an internal service a forged response_url would aim at: it must never receive anything. */
let internal: HttpFake;

/**
 * A real request to the listening app. (fastify's inject() pulls an ESM-only `cookie` build that jest's
 * CommonJS runtime cannot load, so tests go over a socket.)
 */
async function call(request: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: string | object }) {
  const isJson = request.payload !== undefined && typeof request.payload !== 'string';
  const response = await fetch(`${baseUrl}${request.url}`, {
    method: request.method,
    headers: { ...(isJson ? { 'content-type': 'application/json' } : {}), ...request.headers },
    body: request.payload === undefined ? undefined : isJson ? JSON.stringify(request.payload) : (request.payload as string),
  });
  const text = await response.text();
  return { statusCode: response.status, json: () => JSON.parse(text) };
}

beforeAll(async () => {
  harness = await startPlaybookHarness('chatops');
  responseUrls = await startHttpFake(() => ({ status: 200, body: 'ok' }));
  internal = await startHttpFake(() => ({ status: 200, body: 'ok' }));
  app = buildChatopsApp({
    logger: pino({ level: 'silent' }),
    client: harness.client,
    responses,
    slackSigningSecret: signingSecret,
    slackResponseOrigins: [responseUrls.url],
    apiTokens: new Map([['tok-alice', 'alice'], ['tok-carol', 'carol'], ['tok-gina', 'gina'], ['tok-sam', 'sam']]),
  });
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await responseUrls?.close();
  await internal?.close();
  await harness?.teardown();
});

const withWorker = <T>(fn: () => Promise<T>) => harness.withWorker({ dryRun: false, responses }, fn);

function signedForm(body: string, options: { timestamp?: number; secret?: string } = {}) {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': timestamp,
    'x-slack-signature': slackSignature(options.secret ?? signingSecret, timestamp, body),
  };
}

function buttonBody(actionId: string, workflowId: string, userId: string, responseUrl = `${responseUrls.url}/actions/${workflowId}`): string {
  const payload = { type: 'block_actions', user: { id: userId, username: userId }, actions: [{ action_id: actionId, block_id: 'vigil_decision', value: workflowId, type: 'button' }], response_url: responseUrl };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** The outcome chatops posted to the allowed response_url for `workflowId` (it follows Slack's ack). */
async function feedbackFor(workflowId: string): Promise<{ text: string }> {
  for (;;) {
    const posted = responseUrls.requests.find((r) => r.path === `/actions/${workflowId}`);
    if (posted) return JSON.parse(posted.body) as { text: string };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function untouched(workflowId: string, signalsAndUpdatesBefore: number): Promise<void> {
  const status = await harness.client.workflow.getHandle(workflowId).query(playbookStatusQuery);
  expect(status.state).toBe('awaiting_approval');
  expect(status.decisions).toEqual([]);
  expect(status.refused).toEqual([]);
  expect(await historySignalsAndUpdates(workflowId)).toBe(signalsAndUpdatesBefore);
}

async function historySignalsAndUpdates(workflowId: string): Promise<number> {
  const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
  return history.events!.filter((e) => e.workflowExecutionSignaledEventAttributes || e.workflowExecutionUpdateAcceptedEventAttributes).length;
}

test('Slack Approve button from a mapped on-call user approves the run, recorded as via chat', async () => {
  const alert = podAlert();
  await withWorker(async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(bindingsYaml, 'approve-me'));
    await waitForState(handle, 'awaiting_approval');
    const body = buttonBody(slackActionIds.approve, handle.workflowId, 'U02BOB');
    const response = await call({ method: 'POST', url: '/slack/interactivity', headers: signedForm(body), payload: body });
    expect(response.statusCode).toBe(200);
    const report = await handle.result();
    expect(report.decisions).toEqual([expect.objectContaining({ decision: 'approve', by: 'bob', via: 'chat' })]);
    // The ack comes first; the outcome follows on response_url.
    let feedback = responseUrls.requests.find((r) => r.path === `/actions/${handle.workflowId}`);
    while (!feedback) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      feedback = responseUrls.requests.find((r) => r.path === `/actions/${handle.workflowId}`);
    }
    expect(JSON.parse(feedback.body)).toEqual(expect.objectContaining({ response_type: 'ephemeral', text: 'Approved as bob: now awaiting_approval' }));
  });
});

test.each([
  ['forged (wrong secret)', { secret: 'not-the-signing-secret' }],
  ['stale (timestamp 6 minutes old)', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }],
])('a %s Slack request is refused with 401 and no signal or update reaches the workflow', async (_name, options) => {
  const alert = podAlert();
  await withWorker(async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(bindingsYaml, 'approve-me'));
    await waitForState(handle, 'awaiting_approval');
    const before = await historySignalsAndUpdates(handle.workflowId);
    const body = buttonBody(slackActionIds.approve, handle.workflowId, 'U01ALICE');
    const button = await call({ method: 'POST', url: '/slack/interactivity', headers: signedForm(body, options), payload: body });
    expect(button.statusCode).toBe(401);
    expect(button.json()).toEqual(expect.objectContaining({ code: 'VGL_CHATOPS_SIGNATURE' }));
    const command = new URLSearchParams({ command: '/vigil', text: `approve ${handle.workflowId}`, user_id: 'U01ALICE' }).toString();
    const slash = await call({ method: 'POST', url: '/slack/commands', headers: signedForm(command, options), payload: command });
    expect(slash.statusCode).toBe(401);
    const unsigned = await call({ method: 'POST', url: '/slack/commands', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: command });
    expect(unsigned.statusCode).toBe(401);

    const status = await handle.query(playbookStatusQuery);
    expect(status.state).toBe('awaiting_approval');
    expect(status.decisions).toEqual([]);
    expect(status.refused).toEqual([]);
    expect(await historySignalsAndUpdates(handle.workflowId)).toBe(before);
    await handle.terminate('test done');
  });
});

test('slash command: /vigil deny with a reason; an unmapped Slack user is told and nothing is sent', async () => {
  const alert = podAlert();
  await withWorker(async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(bindingsYaml, 'approve-me'));
    await waitForState(handle, 'awaiting_approval');
    const stranger = new URLSearchParams({ command: '/vigil', text: `approve ${handle.workflowId}`, user_id: 'U99NOBODY' }).toString();
    const refused = await call({ method: 'POST', url: '/slack/commands', headers: signedForm(stranger), payload: stranger });
    expect(refused.json().text).toMatch(/^VGL_CHATOPS_UNKNOWN_USER: .*U99NOBODY/);

    const list = new URLSearchParams({ command: '/vigil', text: 'list', user_id: 'U01ALICE' }).toString();
    // Visibility is eventually consistent: the run shows up in the awaiting list shortly after it starts.
    for (;;) {
      const listed = await call({ method: 'POST', url: '/slack/commands', headers: signedForm(list), payload: list });
      if (listed.json().text.includes(handle.workflowId)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const deny = new URLSearchParams({ command: '/vigil', text: `deny ${handle.workflowId} known pentest`, user_id: 'U01ALICE' }).toString();
    const denied = await call({ method: 'POST', url: '/slack/commands', headers: signedForm(deny), payload: deny });
    expect(denied.json()).toEqual({ response_type: 'ephemeral', text: `Denied ${handle.workflowId} as alice: now awaiting_approval` });
    const report = await handle.result();
    expect(report.outcome).toBe('denied');
    expect(report.decisions).toEqual([expect.objectContaining({ decision: 'deny', by: 'alice', via: 'chat', reason: 'known pentest' })]);
  });
});

test('False-positive button denies the playbook and sends a false_positive verdict to the correlator', async () => {
  const alert = podAlert();
  await withWorker(async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(bindingsYaml, 'approve-me'), undefined, 2);
    await waitForState(handle, 'awaiting_approval');
    const body = buttonBody(slackActionIds.falsePositive, handle.workflowId, 'U01ALICE');
    expect((await call({ method: 'POST', url: '/slack/interactivity', headers: signedForm(body), payload: body })).statusCode).toBe(200);
    expect((await handle.result()).decisions).toEqual([expect.objectContaining({ decision: 'deny', by: 'alice', reason: 'false positive' })]);
    // The verdict follows the deny (the button is handled after Slack's ack).
    const correlator = harness.client.workflow.getHandle(alert.correlatorWorkflowId);
    let verdicts = await correlator.query(standInVerdictsQuery);
    while (verdicts.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      verdicts = await correlator.query(standInVerdictsQuery);
    }
    expect(verdicts).toEqual([expect.objectContaining({ alertId: alert.id, verdict: 'false_positive', by: 'alice' })]);
    await harness.client.workflow.getHandle(alert.correlatorWorkflowId).terminate('test done');
  });
});

test('JSON API: bearer token required; the token names the approver; refusals carry their code', async () => {
  const alert = podAlert();
  await withWorker(async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(bindingsYaml, 'approve-me'));
    await waitForState(handle, 'awaiting_approval');
    const url = `/api/v1/playbooks/${encodeURIComponent(handle.workflowId)}/decision`;
    const noToken = await call({ method: 'POST', url, payload: { decision: 'approve' } });
    expect(noToken.statusCode).toBe(401);
    expect(noToken.json().code).toBe('VGL_CHATOPS_AUTH');
    const wrongToken = await call({ method: 'POST', url, headers: { authorization: 'Bearer tok-mallory' }, payload: { decision: 'approve' } });
    expect(wrongToken.statusCode).toBe(401);
    const badBody = await call({ method: 'POST', url, headers: { authorization: 'Bearer tok-alice' }, payload: { decision: 'maybe' } });
    expect(badBody.statusCode).toBe(400);
    // carol is a lead, not in the oncall group this playbook asks.
    const carol = await call({ method: 'POST', url, headers: { authorization: 'Bearer tok-carol' }, payload: { decision: 'approve' } });
    expect(carol.statusCode).toBe(403);
    expect(carol.json().code).toBe('VGL_APPROVAL_UNAUTHORIZED');

    const status = await call({ method: 'GET', url: `/api/v1/playbooks/${encodeURIComponent(handle.workflowId)}`, headers: { authorization: 'Bearer tok-alice' } });
    expect(status.json()).toEqual(expect.objectContaining({ state: 'awaiting_approval', askedGroups: ['oncall'], entity: expect.objectContaining({ riskScore: 72 }) }));

    const alice = await call({ method: 'POST', url, headers: { authorization: 'Bearer tok-alice' }, payload: { decision: 'approve', reason: 'ok' } });
    expect(alice.statusCode).toBe(200);
    expect(alice.json().decisions).toEqual([expect.objectContaining({ by: 'alice', via: 'http', reason: 'ok' })]);
    await handle.result();
    const late = await call({ method: 'POST', url, headers: { authorization: 'Bearer tok-alice' }, payload: { decision: 'deny' } });
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('VGL_APPROVAL_CLOSED');
    const missing = await call({ method: 'POST', url: '/api/v1/playbooks/nope/decision', headers: { authorization: 'Bearer tok-alice' }, payload: { decision: 'deny' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('VGL_PLAYBOOK_NOT_FOUND');
  });
});

test('"did you just do this?" buttons: only the asked user\'s "not me" counts, and it starts containment', async () => {
  // The alert names the user by an alias; chatops answers in the identity's name.
  const alert = podAlert({ events: [{ id: 'ev-1', time: 1, source: 'k8s_audit', fields: { 'user.username': 'mal@example.com' } }] });
  const confirmYaml = `
bindings:
  - playbook: confirm
    match: {}
    params:
      notify: []
      confirmUser: { timeout: 1h }
      containment: [{ action: k8s.isolatePod }]
      dryRun: true
`;
  const slack = await startHttpFake(() => ({ status: 200, body: { ok: true, channel: 'U04MALLORY', ts: '1.1' } }));
  try {
    await harness.withWorker({ dryRun: false, responses, slack: { apiUrl: slack.url, botToken: 'xoxb' } }, async () => {
      const handle = await harness.startPlaybook(alert, bindingFrom(confirmYaml, 'confirm'));
      await waitForState(handle, 'awaiting_user');
      const bob = buttonBody(slackActionIds.userNotMe, handle.workflowId, 'U02BOB');
      expect((await call({ method: 'POST', url: '/slack/interactivity', headers: signedForm(bob), payload: bob })).statusCode).toBe(200);
      expect((await handle.query(playbookStatusQuery)).state).toBe('awaiting_user');
      const mallory = buttonBody(slackActionIds.userNotMe, handle.workflowId, 'U04MALLORY');
      expect((await call({ method: 'POST', url: '/slack/interactivity', headers: signedForm(mallory), payload: mallory })).statusCode).toBe(200);
      const report = await handle.result();
      expect(report.actions).toEqual(expect.arrayContaining(['mallory answered via chat: it was not me', expect.stringMatching(/^\[dry-run\] isolated pod shop\/web-7d9f/)]));
      // Signals are handled in arrival order: had bob's answer counted, it would be the one recorded.
      expect(report.actions.some((a) => a.startsWith('bob answered'))).toBe(false);
    });
  } finally {
    await slack.close();
  }
});

test('JSON API tokens are scoped to their tenants: another tenant\'s run is not listed, not readable, not decidable', async () => {
  const alert = podAlert(); // tenant acme
  await withWorker(async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(bindingsYaml, 'approve-me'));
    await waitForState(handle, 'awaiting_approval');
    const id = encodeURIComponent(handle.workflowId);
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const listed = async (token: string, query = 'awaiting=true') =>
      ((await call({ method: 'GET', url: `/api/v1/playbooks?${query}`, headers: as(token) })).json() as Array<{ workflowId: string }>).map((r) => r.workflowId);
    // Visibility is eventually consistent: wait until an in-scope caller sees the run, then compare.
    while (!(await listed('tok-alice')).includes(handle.workflowId)) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await listed('tok-sam')).toContain(handle.workflowId);
    expect(await listed('tok-gina')).not.toContain(handle.workflowId);
    expect(await listed('tok-gina', 'awaiting=true&tenant=acme')).toEqual([]);

    const before = await historySignalsAndUpdates(handle.workflowId);
    // gina is in the oncall group this run asks, so only her tenant scope stands between her and a decision.
    for (const request of [
      { method: 'GET' as const, url: `/api/v1/playbooks/${id}` },
      { method: 'POST' as const, url: `/api/v1/playbooks/${id}/decision`, payload: { decision: 'approve' } },
      { method: 'POST' as const, url: `/api/v1/playbooks/${id}/containment`, payload: { command: 'release' } },
    ]) {
      const response = await call({ ...request, headers: as('tok-gina') });
      expect([request.url, response.statusCode, response.json().code]).toEqual([request.url, 404, 'VGL_PLAYBOOK_NOT_FOUND']);
    }
    await untouched(handle.workflowId, before);

    const sam = await call({ method: 'GET', url: `/api/v1/playbooks/${id}`, headers: as('tok-sam') });
    expect(sam.statusCode).toBe(200);
    const alice = await call({ method: 'POST', url: `/api/v1/playbooks/${id}/decision`, headers: as('tok-alice'), payload: { decision: 'approve' } });
    expect(alice.statusCode).toBe(200);
    expect((await handle.result()).decisions).toEqual([expect.objectContaining({ by: 'alice', via: 'http' })]);
  });
});

test('Slack users are scoped to their identity\'s tenants: buttons and /vigil reach no run of another tenant', async () => {
  const alert = podAlert(); // tenant acme
  await withWorker(async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(bindingsYaml, 'approve-me'));
    await waitForState(handle, 'awaiting_approval');
    const before = await historySignalsAndUpdates(handle.workflowId);
    const slash = async (text: string, userId: string) => {
      const form = new URLSearchParams({ command: '/vigil', text, user_id: userId }).toString();
      return (await call({ method: 'POST', url: '/slack/commands', headers: signedForm(form), payload: form })).json().text as string;
    };
    expect(await slash(`approve ${handle.workflowId}`, 'U05GINA')).toMatch(/^VGL_PLAYBOOK_NOT_FOUND: /);
    expect(await slash(`release ${handle.workflowId}`, 'U05GINA')).toMatch(/^VGL_PLAYBOOK_NOT_FOUND: /);
    expect(await slash(`status ${handle.workflowId}`, 'U05GINA')).toMatch(/^VGL_PLAYBOOK_NOT_FOUND: /);
    expect(await slash(`status ${handle.workflowId}`, 'U99NOBODY')).toMatch(/^VGL_CHATOPS_UNKNOWN_USER: /);
    while (!(await slash('list', 'U01ALICE')).includes(handle.workflowId)) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await slash('list', 'U05GINA')).not.toContain(handle.workflowId);

    const button = buttonBody(slackActionIds.approve, handle.workflowId, 'U05GINA');
    expect((await call({ method: 'POST', url: '/slack/interactivity', headers: signedForm(button), payload: button })).statusCode).toBe(200);
    expect((await feedbackFor(handle.workflowId)).text).toMatch(/^VGL_PLAYBOOK_NOT_FOUND: /);
    await untouched(handle.workflowId, before);
    await handle.terminate('test done');
  });
});

test('a signed click whose response_url is not on Slack\'s origins is refused (400) and nothing is posted or decided', async () => {
  const alert = podAlert();
  await withWorker(async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(bindingsYaml, 'approve-me'));
    await waitForState(handle, 'awaiting_approval');
    const before = await historySignalsAndUpdates(handle.workflowId);
    for (const target of [`${internal.url}/admin/reset`, 'http://169.254.169.254/latest/meta-data/', `${responseUrls.url.replace('http:', 'https:')}/actions/x`]) {
      const body = buttonBody(slackActionIds.approve, handle.workflowId, 'U01ALICE', target);
      const response = await call({ method: 'POST', url: '/slack/interactivity', headers: signedForm(body), payload: body });
      expect([target, response.statusCode, response.json().code]).toEqual([target, 400, 'VGL_CHATOPS_RESPONSE_URL']);
    }
    await untouched(handle.workflowId, before);
    // An allowed click afterwards is handled and answered; the internal server still has nothing.
    const allowed = buttonBody(slackActionIds.approve, handle.workflowId, 'U01ALICE');
    expect((await call({ method: 'POST', url: '/slack/interactivity', headers: signedForm(allowed), payload: allowed })).statusCode).toBe(200);
    expect((await feedbackFor(handle.workflowId)).text).toBe('Approved as alice: now awaiting_approval');
    expect(internal.requests).toEqual([]);
    await handle.result();
  });
});

test('a signed interactivity payload that is not JSON is 400 VGL_CHATOPS_PAYLOAD', async () => {
  for (const payload of ['not json', '{"type":"block_actions",', '']) {
    const body = new URLSearchParams({ payload }).toString();
    const response = await call({ method: 'POST', url: '/slack/interactivity', headers: signedForm(body), payload: body });
    expect([payload, response.statusCode, response.json().code]).toEqual([payload, 400, 'VGL_CHATOPS_PAYLOAD']);
  }
});
