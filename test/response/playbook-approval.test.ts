/**
 * Playbook approval paths on a real Temporal dev server: approve, deny, unauthorized and self approval
 * refused by the update validator, timeout → escalation → declared default. External systems are real
 * HTTP fakes; the correlator is the test stand-in that records reports.
 */
import { createHmac } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { PlaybookState } from '../../src/temporal/search-attributes';
import { decideUpdate, playbookStatusQuery } from '../../workflows/playbook/messages';
import { startHttpFake, type HttpFake } from '../helpers/fakes/http-fake';
import { bindingFrom, podAlert, responseConfig } from './fixtures';
import { startPlaybookHarness, waitForState, type PlaybookHarness } from './harness';

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

let harness: PlaybookHarness;
let webhook: HttpFake;

beforeAll(async () => {
  harness = await startPlaybookHarness('playbook-approval');
  webhook = await startHttpFake(() => ({ status: 200, body: { ok: true } }));
});

afterAll(async () => {
  await webhook?.close();
  await harness?.teardown();
});

function withWorker<T>(fn: () => Promise<T>): Promise<T> {
  return harness.withWorker({ dryRun: false, responses: responseConfig(bindings('1h')), webhookUrl: `${webhook.url}/hooks/vigil`, webhookSecret: 'test-secret' }, fn);
}

const startPlaybook = (...args: Parameters<PlaybookHarness['startPlaybook']>) => harness.startPlaybook(...args);

test('approve: an on-call approver approves, containment runs (dry-run), the correlator gets the report', async () => {
  const alert = podAlert();
  await withWorker(async () => {
    const handle = await startPlaybook(alert, bindingFrom(bindings('1h'), 'quarantine-pod'));
    await waitForState(handle, 'awaiting_approval');
    const listed = await harness.client.workflow.count(`PlaybookState = 'awaiting_approval' AND AlertId = '${alert.id}'`);
    const status = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'alice', reason: 'confirmed shell', via: 'cli' }] });
    expect(status.decisions).toEqual([expect.objectContaining({ decision: 'approve', by: 'alice', via: 'cli', reason: 'confirmed shell' })]);

    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(report.actions).toContainEqual(expect.stringMatching(/^\[dry-run\] isolated pod shop\/web-7d9f /));
    const reports = await harness.client.workflow.getHandle(alert.correlatorWorkflowId).result();
    expect(reports).toEqual([report]);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(PlaybookState)).toBe('completed');
    expect((description.memo as { decisions: unknown[] }).decisions).toHaveLength(1);
    // Visibility is eventually consistent; the count is read while the run was waiting.
    expect(listed.count).toBeLessThanOrEqual(1);
  });
  const notice = webhook.requests.find((r) => JSON.parse(r.body).alert.id === alert.id && JSON.parse(r.body).kind === 'approval_request')!;
  // A receiver verifies: HMAC-SHA256 over "<timestamp>.<raw body>" with the shared secret.
  expect(notice.headers['x-vigil-signature']).toBe(`v1=${createHmac('sha256', 'test-secret').update(`${notice.headers['x-vigil-timestamp']}.${notice.body}`).digest('hex')}`);
  expect(JSON.parse(notice.body).entity.riskScore).toBe(72);
});

test('deny: an on-call approver denies by signal; nothing is contained', async () => {
  const alert = podAlert();
  await withWorker(async () => {
    const handle = await startPlaybook(alert, bindingFrom(bindings('1h'), 'quarantine-pod'));
    await waitForState(handle, 'awaiting_approval');
    await handle.signal('deny', { by: 'bob', reason: 'maintenance window', via: 'http' });
    const report = await handle.result();
    expect(report.outcome).toBe('denied');
    expect(report.decisions).toEqual([expect.objectContaining({ decision: 'deny', by: 'bob', via: 'http', reason: 'maintenance window' })]);
    expect(report.actions.some((a: string) => a.includes('isolated'))).toBe(false);
    expect(report.containment).toBeUndefined();
    expect((await handle.describe()).typedSearchAttributes.get(PlaybookState)).toBe('denied');
  });
});

test('timeout → escalation to the next group → the declared default (deny), every step recorded', async () => {
  const alert = podAlert();
  await withWorker(async () => {
    const handle = await startPlaybook(alert, bindingFrom(bindings('1s'), 'quarantine-pod'));
    const report = await handle.result();
    expect(report.outcome).toBe('timed_out');
    expect(report.decisions).toEqual([expect.objectContaining({ decision: 'deny', by: 'default', via: 'default' })]);
    expect(report.actions).toContain('no decision within 1s: escalated to leads');
    const kinds = webhook.requests.map((r) => JSON.parse(r.body)).filter((n) => n.alert.id === alert.id).map((n) => n.kind);
    expect(kinds).toEqual(['approval_request', 'escalation', 'decided']);
    const escalation = webhook.requests.map((r) => JSON.parse(r.body)).find((n) => n.alert.id === alert.id && n.kind === 'escalation');
    expect(escalation.asked).toEqual(expect.objectContaining({ groups: ['oncall', 'leads'], mentions: ['U01ALICE', 'U02BOB', 'U04MALLORY', 'U05GINA', 'U06SAM', 'U03CAROL'] }));
    const history = await handle.fetchHistory();
    const timers = history.events!.filter((e) => e.timerStartedEventAttributes);
    expect(timers).toHaveLength(2);
    await harness.replay(handle);
  });
});

test('an approver outside the asked groups is refused by the update validator; the run keeps waiting', async () => {
  const alert = podAlert();
  await withWorker(async () => {
    const handle = await startPlaybook(alert, bindingFrom(bindings('1h'), 'quarantine-pod'));
    await waitForState(handle, 'awaiting_approval');
    // carol is a lead: not asked until escalation.
    const refusal = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'carol', via: 'cli' }] }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refusal as WorkflowUpdateFailedError).cause).toEqual(expect.objectContaining({ type: 'VGL_APPROVAL_UNAUTHORIZED' }));
    const stranger = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'eve', via: 'http' }] }).catch((err: unknown) => err);
    expect((stranger as WorkflowUpdateFailedError).cause).toEqual(expect.objectContaining({ type: 'VGL_APPROVAL_UNAUTHORIZED' }));
    // The signal path cannot reject the sender, so the refusal is recorded instead.
    await handle.signal('approve', { by: 'eve', via: 'chat' });
    const status = await handle.query(playbookStatusQuery);
    expect(status.state).toBe('awaiting_approval');
    expect(status.decisions).toEqual([]);
    expect(status.refused).toEqual([expect.objectContaining({ by: 'eve', via: 'chat', code: 'VGL_APPROVAL_UNAUTHORIZED' })]);
    await handle.executeUpdate(decideUpdate, { args: [{ decision: 'deny', by: 'alice', via: 'cli' }] });
    expect((await handle.result()).outcome).toBe('denied');
  });
});

test('the subject of the alert cannot approve their own case, even as an on-call member', async () => {
  // mallory is on call and is the Kubernetes user in the alert's audit event.
  const alert = podAlert();
  await withWorker(async () => {
    const handle = await startPlaybook(alert, bindingFrom(bindings('1h'), 'quarantine-pod'));
    await waitForState(handle, 'awaiting_approval');
    const refusal = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'mallory', via: 'chat' }] }).catch((err: unknown) => err);
    expect((refusal as WorkflowUpdateFailedError).cause).toEqual(expect.objectContaining({ type: 'VGL_APPROVAL_SELF' }));
    await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'alice', via: 'chat' }] });
    const duplicate = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'alice', via: 'chat' }] }).catch((err: unknown) => err);
    expect((duplicate as WorkflowUpdateFailedError).cause).toEqual(expect.objectContaining({ type: expect.stringMatching(/^VGL_APPROVAL_(CLOSED|DUPLICATE)$/) }));
    const report = await handle.result();
    expect(report.decisions.map((d: { by: string }) => d.by)).toEqual(['alice']);
  });
});

test('quorum 2: two distinct approvers are needed, and the memo records both', async () => {
  const alert = podAlert();
  const quorum = bindings('1h').replace('quorum: 1', 'quorum: 2');
  await withWorker(async () => {
    const handle = await startPlaybook(alert, bindingFrom(quorum, 'quarantine-pod'));
    await waitForState(handle, 'awaiting_approval');
    const first = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'alice', via: 'cli' }] });
    expect(first.state).toBe('awaiting_approval');
    await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'bob', via: 'http' }] });
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    const memo = (await handle.describe()).memo as { decisions: { by: string }[] };
    expect(memo.decisions.map((d) => d.by)).toEqual(['alice', 'bob']);
    await harness.replay(handle);
  });
});

test('dry run end to end: with dryRun and dryRunNotices nothing is sent or changed, and the report says what would have been', async () => {
  const alert = podAlert();
  const dry = bindings('1h').replace('dryRun: true', 'dryRun: true\n      dryRunNotices: true\n      ticket: true');
  await withWorker(async () => {
    const handle = await startPlaybook(alert, bindingFrom(dry, 'quarantine-pod'));
    await waitForState(handle, 'awaiting_approval');
    await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'bob', via: 'cli' }] });
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(report.actions).toEqual(
      expect.arrayContaining([
        '[dry-run] webhook notice approval_request',
        '[dry-run] webhook notice decided',
        expect.stringMatching(/^\[dry-run\] isolated pod shop\/web-7d9f/),
        `[dry-run] would open ticket "[Vigil] Shell spawned in container on pod shop/web-7d9f"`,
      ]),
    );
  });
  expect(webhook.requests.filter((r) => JSON.parse(r.body).alert?.id === alert.id)).toEqual([]);
});
