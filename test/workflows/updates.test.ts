/**
 * Analyst updates on the real correlator: verdicts (with per-rule counts for precision), suppressing a rule
 * by name or id for a while, reset; every update records who did it, in the state and the memo. Rejected
 * updates fail with WorkflowUpdateFailedError (ApplicationFailure VGL_UPDATE_REJECTED naming the field) and
 * leave no trace: not in history, not in state, not in the memo.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { EntityRef } from '../../src/model/entity';
import { dataConverter } from '../../src/temporal/data-converter';
import { OpenAlerts, RiskScore } from '../../src/temporal/search-attributes';
import { resetUpdate, suppressUpdate, verdictUpdate, type ResetInput, type SuppressInput, type VerdictInput } from '../../src/contracts/correlator/messages';
import { eventually, sharedTemporalAddress } from '../helpers/shared-servers';
import { vigilWorkflowBundle } from '../helpers/workflow-bundles';
import { startCorrelatorHarness, type CorrelatorHarness } from './correlator-harness';
import { correlationIds, ruleRef } from './test-rules';

let h: CorrelatorHarness;
const host = (id: string): EntityRef => ({ type: 'host', id });

beforeAll(async () => {
  h = await startCorrelatorHarness('upd', sharedTemporalAddress());
});

afterAll(async () => {
  await h?.close();
});

async function memoActions(entity: EntityRef): Promise<string[]> {
  const memo = (await h.handle(entity).describe()).memo as { analystActions?: string[] } | undefined;
  return memo?.analystActions ?? [];
}

test('verdicts set the alert status and keep per-rule true/false positive counts; who is recorded in state and memo', async () => {
  const web = host('verdict-1');
  await h.send(web, 'v1', [h.det(`${h.tenant}-v1`, 't_exec', web, Date.now())]);
  const alert = (await h.stateWhen(web, (v) => v.openAlerts.length === 1, 'an alert')).openAlerts[0]!;

  const judged = await h.handle(web).executeUpdate(verdictUpdate, { args: [{ alertId: alert.id, verdict: 'true_positive', by: 'bob', note: 'confirmed with owner' }] });
  expect(judged).toMatchObject({ id: alert.id, status: 'true_positive' });
  let view = await h.state(web);
  expect(view.openAlerts).toEqual([]);
  expect(view.ruleVerdicts).toEqual({ [ruleRef('t_exec').id]: { title: 'Test t_exec', truePositives: 1, falsePositives: 0 } });

  // A changed verdict moves the count: counts always equal the alerts' current verdicts.
  await h.handle(web).executeUpdate(verdictUpdate, { args: [{ alertId: alert.id, verdict: 'false_positive', by: 'carol' }] });
  view = await h.state(web);
  expect(view.ruleVerdicts[ruleRef('t_exec').id]).toEqual({ title: 'Test t_exec', truePositives: 0, falsePositives: 1 });
  expect(view.analystActions.map((a) => [a.kind, a.by])).toEqual([
    ['verdict', 'bob'],
    ['verdict', 'carol'],
  ]);
  expect(view.analystActions[0]!.summary).toContain('confirmed with owner');
  const memo = await eventually(async () => {
    const actions = await memoActions(web);
    return actions.length === 2 ? actions : undefined;
  }, 'both verdicts in the memo');
  expect(memo[0]).toMatch(/verdict by bob: true_positive/);
  expect(memo[1]).toMatch(/verdict by carol: false_positive/);
});

test('a suppressed rule raises no alert until the suppression ends; by name for a detection rule, by id for a correlation', async () => {
  const web = host('suppress-1');
  const t = Date.now();
  // No repeat-alert suppression: only the analyst's suppression can hold alerts back here.
  await h.send(web, 'p1', [h.det(`${h.tenant}-p1`, 't_exec', web, t)], { suppressFor: '0s' });
  await h.stateWhen(web, (v) => v.alertCount === 1, 'first alert');

  // Long enough for the next batch to arrive within it on a loaded machine.
  const suppression = await h.handle(web).executeUpdate(suppressUpdate, { args: [{ rule: 't_exec', for: '8s', by: 'alice', reason: 'patching window' }] });
  expect(suppression).toMatchObject({ ruleId: ruleRef('t_exec').id, title: 'Test t_exec', by: 'alice', reason: 'patching window' });
  expect(suppression.until - suppression.at).toBe(8_000);
  const byId = await h.handle(web).executeUpdate(suppressUpdate, { args: [{ rule: correlationIds.burst, for: '1h', by: 'alice', reason: 'load test' }] });
  expect(byId.title).toBe('Test recon burst');

  await h.send(web, 'p2', [h.det(`${h.tenant}-p2`, 't_exec', web, t + 1), ...[1, 2, 3, 4].map((i) => h.det(`${h.tenant}-p2r${i}`, 't_recon', web, t + 1 + i))]);
  const held = await h.stateWhen(web, (v) => v.eventCount === 6, 'detections during the suppression');
  expect(held.alertCount).toBe(1);
  expect(held.suppressedAlerts).toBe(2); // t_exec and the recon burst
  expect(Object.keys(held.suppressions).sort()).toEqual([correlationIds.burst, ruleRef('t_exec').id].sort());

  await new Promise((r) => setTimeout(r, Math.max(0, suppression.until - Date.now()) + 200));
  await h.send(web, 'p3', [h.det(`${h.tenant}-p3`, 't_exec', web, Date.now())]);
  const after = await h.stateWhen(web, (v) => v.eventCount === 7, 'detection after the suppression');
  expect(after.alertCount).toBe(2);
  expect(after.openAlerts.map((a) => a.events[0]!.id)).toEqual([`${h.tenant}-p1`, `${h.tenant}-p3`]);
  expect(Object.keys(after.suppressions)).toEqual([correlationIds.burst]);
  expect((await memoActions(web)).filter((a) => a.includes('suppress by alice'))).toHaveLength(2);
});

test('reset closes open alerts, zeroes risk and empties correlation windows; the timeline and de-duplication stay', async () => {
  const web = host('reset-1');
  const t = Date.now();
  const early = [1, 2, 3].map((i) => h.det(`${h.tenant}-e${i}`, 't_recon', web, t + i));
  await h.send(web, 'r1', [...early, h.det(`${h.tenant}-x`, 't_exec', web, t + 4)]);
  const before = await h.stateWhen(web, (v) => v.eventCount === 4, 'before reset');
  expect(before.riskScore).toBeGreaterThan(0);

  const result = await h.handle(web).executeUpdate(resetUpdate, { args: [{ by: 'carol', reason: 'reimaged' }] });
  expect(result).toEqual({ closedAlertIds: [before.openAlerts[0]!.id], riskBefore: before.riskScore });
  const reset = await h.state(web);
  expect(reset).toMatchObject({ riskScore: 0, openAlerts: [], eventCount: 4, timeline: before.timeline });
  expect(reset.analystActions).toEqual([expect.objectContaining({ kind: 'reset', by: 'carol' })]);
  await eventually(async () => {
    const attrs = (await h.handle(web).describe()).typedSearchAttributes;
    return attrs.get(RiskScore) === 0 && attrs.get(OpenAlerts) === 0 ? true : undefined;
  }, 'search attributes after reset');

  // Three recon before the reset no longer count: a re-sent one (seen before) plus three fresh make no burst...
  const fresh = [1, 2, 3, 4].map((i) => h.det(`${h.tenant}-f${i}`, 't_recon', web, t + 10 + i));
  await h.send(web, 'r2', [early[0]!, ...fresh.slice(0, 3)]);
  const three = await h.stateWhen(web, (v) => v.eventCount === 7, 'three fresh recon');
  expect(three.openAlerts).toEqual([]);
  // ...and the fourth fresh one does, with only the fresh events.
  await h.send(web, 'r3', [fresh[3]!]);
  const burst = await h.stateWhen(web, (v) => v.openAlerts.length > 0, 'burst after reset');
  expect(burst.openAlerts).toHaveLength(1);
  expect(burst.openAlerts[0]).toMatchObject({ rule: { id: correlationIds.burst }, eventCount: 4 });
  expect(burst.openAlerts[0]!.events.map((e) => e.id)).toEqual(fresh.map((d) => d.eventId));
});

test('rejected updates fail with WorkflowUpdateFailedError naming the field and leave no trace', async () => {
  const web = host('reject-1');
  await h.send(web, 'j1', [h.det(`${h.tenant}-j1`, 't_exec', web, Date.now())]);
  // Settled: the alert carries its incident (routed by an activity after the batch is applied).
  const before = await h.stateWhen(web, (v) => v.openAlerts.length === 1 && v.openAlerts[0]!.incident !== undefined, 'an alert in its incident');
  const alertId = before.openAlerts[0]!.id;
  const ok: SuppressInput = { rule: 't_exec', for: '1h', by: 'alice', reason: 'noisy' };
  const okVerdict: VerdictInput = { alertId, verdict: 'true_positive', by: 'alice' };

  const rejected: Array<[string, () => Promise<unknown>, string]> = [
    ['unknown rule', () => h.handle(web).executeUpdate(suppressUpdate, { args: [{ ...ok, rule: 'no_such_rule' }], updateId: 'bad-1' }), 'rule'],
    ['prototype name', () => h.handle(web).executeUpdate(suppressUpdate, { args: [{ ...ok, rule: 'constructor' }], updateId: 'bad-2' }), 'rule'],
    ['not a duration', () => h.handle(web).executeUpdate(suppressUpdate, { args: [{ ...ok, for: 'soon' }], updateId: 'bad-3' }), 'for'],
    ['zero duration', () => h.handle(web).executeUpdate(suppressUpdate, { args: [{ ...ok, for: '0s' }], updateId: 'bad-4' }), 'for'],
    ['blank by', () => h.handle(web).executeUpdate(suppressUpdate, { args: [{ ...ok, by: '  ' }], updateId: 'bad-5' }), 'by'],
    ['empty reason', () => h.handle(web).executeUpdate(suppressUpdate, { args: [{ ...ok, reason: '' }], updateId: 'bad-6' }), 'reason'],
    ['unknown alert', () => h.handle(web).executeUpdate(verdictUpdate, { args: [{ ...okVerdict, alertId: 'alrt-none' }], updateId: 'bad-7' }), 'alertId'],
    ['bad verdict', () => h.handle(web).executeUpdate(verdictUpdate, { args: [{ ...okVerdict, verdict: 'maybe' as VerdictInput['verdict'] }], updateId: 'bad-8' }), 'verdict'],
    ['verdict without by', () => h.handle(web).executeUpdate(verdictUpdate, { args: [{ ...okVerdict, by: '' }], updateId: 'bad-9' }), 'by'],
    ['reset without by', () => h.handle(web).executeUpdate(resetUpdate, { args: [{} as ResetInput], updateId: 'bad-10' }), 'by'],
  ];
  for (const [what, call, field] of rejected) {
    const err = await call().then(
      () => new Error(`${what}: accepted`),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('VGL_UPDATE_REJECTED');
    expect(cause!.message).toContain(`field ${field}:`);
  }

  const after = await h.state(web);
  expect(after).toEqual(before);
  expect(await memoActions(web)).toEqual([]);
  // A valid update still works and, unlike the rejected ones, is in history.
  await h.handle(web).executeUpdate(suppressUpdate, { args: [ok], updateId: 'good-1' });
  const history = JSON.stringify((await h.handle(web).fetchHistory()).events);
  expect(history).toContain('good-1');
  for (let i = 1; i <= rejected.length; i++) expect(history).not.toContain(`"bad-${i}"`);
});

test('the histories these updates wrote replay deterministically with the current workflow code', async () => {
  const bundle = await vigilWorkflowBundle();
  for (const id of ['verdict-1', 'suppress-1', 'reset-1', 'reject-1']) {
    const handle = h.handle(host(id));
    await Worker.runReplayHistory({ workflowBundle: bundle, dataConverter }, await handle.fetchHistory(), handle.workflowId);
  }
});
