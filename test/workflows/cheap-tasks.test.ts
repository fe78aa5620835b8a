/**
 * Cheap correlator workflow tasks (CHEAP_TASKS_PATCH), asserted on the histories the real dev server records: an
 * alert's playbooks start with no local activity per alert (the bindings travel with the rules view), a batch that
 * changes nothing writes no search attributes or memo, and batches do not cancel and re-create the quiet-period
 * timer. Old histories replaying: replay-compat.test.ts.
 */
import type { temporal } from '@temporalio/proto';
import type { EntityRef } from '../../src/model/entity';
import { playbookWorkflowId } from '../../src/temporal/workflow-ids';
import { eventually, sharedTemporalAddress } from '../helpers/shared-servers';
import { startCorrelatorHarness, type CorrelatorHarness } from './correlator-harness';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let h: CorrelatorHarness;
const host = (id: string): EntityRef => ({ type: 'host', id });

// t_exec alerts on its own (high) and t_login → t_priv raises a correlation alert; both bound to one playbook that
// only says what it would send.
const bindings = `bindings:
  - playbook: cheap-notice
    match: { ruleNames: [t_exec, t_login_then_priv] }
    params: { notify: [webhook], dryRunNotices: true }
`;

beforeAll(async () => {
  h = await startCorrelatorHarness('cheap', sharedTemporalAddress(), { responseFiles: { 'cheap-tasks.yml': bindings } });
});

afterAll(async () => {
  await h?.close();
});

async function events(entity: EntityRef): Promise<HistoryEvent[]> {
  return (await h.handle(entity).fetchHistory()).events ?? [];
}

/** Activity types of the local activities recorded in a history (core's marker payload names them). */
function localActivityTypes(history: HistoryEvent[]): string[] {
  return history
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((e) => {
      const data = e.markerRecordedEventAttributes!.details!['data']!.payloads![0]!.data!;
      return (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type;
    });
}

/** The history once the workflow task that took the `signals`-th signal has completed (its commands recorded). */
async function afterSignalTask(entity: EntityRef, signals: number): Promise<HistoryEvent[]> {
  return eventually(async () => {
    const history = await events(entity);
    const signalAt = history.map((e, i) => (e.workflowExecutionSignaledEventAttributes ? i : -1)).filter((i) => i >= 0)[signals - 1];
    if (signalAt === undefined) return undefined;
    return history.slice(signalAt).some((e) => e.workflowTaskCompletedEventAttributes) ? history : undefined;
  }, `task of signal ${signals} completed`);
}

const count = (history: HistoryEvent[], has: (e: HistoryEvent) => unknown): number => history.filter((e) => has(e)).length;

test('alerts start their bound playbooks with no resolvePlaybooks local activity: the bindings come with the rules view', async () => {
  const web = host('cheap-bind-1');
  const t = Date.now();
  await h.send(web, 'b1', [
    h.det(`${h.tenant}-x1`, 't_exec', web, t),
    h.det(`${h.tenant}-l1`, 't_login', web, t + 1),
    h.det(`${h.tenant}-p1`, 't_priv', web, t + 2),
  ]);
  const view = await h.stateWhen(web, (v) => v.openAlerts.length === 2, 'two alerts');
  const history = await eventually(async () => {
    const all = await events(web);
    // The hand-over runs after the playbooks' start commands, in a later workflow task: the children can be started
    // before its marker is recorded.
    return count(all, (e) => e.childWorkflowExecutionStartedEventAttributes) === 2 && localActivityTypes(all).includes('recordRuleStats') ? all : undefined;
  }, 'both playbooks started and the alerts handed to the rule statistics');
  const started = history.flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes ?? []).map((a) => a.workflowId);
  expect(started.sort()).toEqual(view.openAlerts.map((a) => playbookWorkflowId(a.id, 'cheap-notice')).sort());
  // The rules view, which carried the bindings, and one hand-over of both alerts to the rule statistics (per pass,
  // not per alert).
  expect(localActivityTypes(history)).toEqual(['correlationRulesFor', 'recordRuleStats']);
});

test('a batch that changes nothing upserts no search attributes or memo and touches no timer', async () => {
  const web = host('cheap-nochange-1');
  const batch = [h.det(`${h.tenant}-n1`, 't_recon', web, Date.now())];
  await h.send(web, 'n1', batch);
  const first = await afterSignalTask(web, 1);
  // The first batch changed the state and wrote it: the event types below are what an upsert records.
  expect(count(first, (e) => e.upsertWorkflowSearchAttributesEventAttributes)).toBeGreaterThan(0);
  expect(count(first, (e) => e.workflowPropertiesModifiedEventAttributes)).toBeGreaterThan(0);
  // The same detections re-sent under a new batch id (a redelivered batch is dropped before it wakes the loop): the
  // workflow applies the batch, which changes nothing.
  await h.send(web, 'n2', batch);
  const second = await afterSignalTask(web, 2);
  const signalAt = second.map((e, i) => (e.workflowExecutionSignaledEventAttributes ? i : -1)).filter((i) => i >= 0)[1]!;
  const after = second.slice(signalAt);
  expect(count(after, (e) => e.workflowTaskCompletedEventAttributes)).toBeGreaterThan(0);
  expect(count(after, (e) => e.upsertWorkflowSearchAttributesEventAttributes)).toBe(0);
  expect(count(after, (e) => e.workflowPropertiesModifiedEventAttributes)).toBe(0);
  expect(count(after, (e) => e.timerStartedEventAttributes ?? e.timerCanceledEventAttributes)).toBe(0);
  expect((await h.state(web)).eventCount).toBe(1);
});

test('batches that only move the quiet deadline later keep the one timer: no TimerCanceled, no second TimerStarted', async () => {
  const web = host('cheap-timer-1');
  const batches = 5;
  for (let i = 1; i <= batches; i++) {
    await h.send(web, `q${i}`, [h.det(`${h.tenant}-q${i}`, 't_recon', web, Date.now())]);
    await afterSignalTask(web, i);
  }
  const history = await events(web);
  expect((await h.state(web)).eventCount).toBe(batches);
  expect(count(history, (e) => e.workflowTaskCompletedEventAttributes)).toBeGreaterThanOrEqual(batches);
  expect(count(history, (e) => e.timerStartedEventAttributes)).toBe(1);
  expect(count(history, (e) => e.timerCanceledEventAttributes)).toBe(0);
});
