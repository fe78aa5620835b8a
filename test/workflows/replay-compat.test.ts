/**
 * Correlator histories written by earlier code replay with the current code, each through its `patched` guard.
 *
 * Before the per-task bounds (workflows/correlator/task-budget.ts): 900 detections in three signals reach the
 * correlator in its first workflow task, which applies them all at once, raises alerts, and later continues as new.
 * The current code would split that task (and start a timer), so replaying it relies on the `patched` guard.
 *
 * Before cheap tasks (CHEAP_TASKS_PATCH, workflows/correlator/correlator.ts): a correlator begun by the earlier code
 * (an alert's playbook through the resolvePlaybooks local activity, a timer cancelled and started and every search
 * attribute and memo field written on each wake) and continued by the current code after a worker restart. Recorded
 * on the dev server with a worker of commit e5ebda7's workflows and activities, then one of this code, bindings for
 * t_exec and t_login_then_priv as in cheap-tasks.test.ts.
 *
 * Before playbook runs were keyed by target (workflows/correlator/playbook-start.ts): a user correlator's alert
 * binds a pod quarantine, started as `playbook:quarantine:{alert id}` (recorded with main's compiled worker at
 * 35a4863, then terminated). The current code would start it as `playbook:quarantine:{tenant}:k8s.pod:shop/web-1`.
 *
 * Before one alert per finding (ONE_ALERT_PER_FINDING_PATCH): a user correlator receives a detection naming the user
 * and a pod and raises its own alert (recorded with a worker of commit 6b3ff03, then terminated). The current code
 * would leave the alert to the pod's correlator and link to it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { dataConverter } from '../../src/temporal/data-converter';
import { payloadConverter } from '../../src/temporal/payload-converter';
import type { CorrelatorInput } from '../../src/contracts/correlator/input';
import type { DetectionBatch } from '../../src/contracts/correlator/messages';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import { CHEAP_TASKS_PATCH, ONE_ALERT_PER_FINDING_PATCH } from '../../workflows/correlator/correlator';
import { MAX_DETECTIONS_PER_TASK } from '../../workflows/correlator/task-budget';
import { vigilWorkflowBundle } from '../helpers/workflow-bundles';

type History = temporal.api.history.v1.History;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function loadFixture(name: string): History {
  const file = path.join(__dirname, 'fixtures', name);
  return temporal.api.history.v1.History.fromObject(JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')));
}
const history = loadFixture('correlator-unbounded-task.history.json.gz');
const startsPlaybook = loadFixture('correlator-starts-playbook.history.json.gz');

test('the fixture is what it claims: one task applied more detections than a task may now take, then continue-as-new', () => {
  const events = history.events;
  const firstCompleted = events.findIndex((e) => e.workflowTaskCompletedEventAttributes);
  const inFirstTask = events
    .slice(0, firstCompleted)
    .filter((e) => e.workflowExecutionSignaledEventAttributes)
    .map((e) => payloadConverter.fromPayload<DetectionBatch>(e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!).detections.length);
  expect(inFirstTask.reduce((a, b) => a + b, 0)).toBeGreaterThan(MAX_DETECTIONS_PER_TASK);
  expect(events[events.length - 1]!.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
});

test('a history from before the task bounds replays deterministically with the current code', async () => {
  const bundle = await vigilWorkflowBundle();
  await expect(Worker.runReplayHistory({ workflowBundle: bundle, dataConverter }, history, 'entity:fixture:host:web-1')).resolves.toBeUndefined();
});

const mixed = loadFixture('correlator-before-cheap-tasks.history.json.gz');

/** A marker's details decoded: local activity markers name their activity type, patch markers their id. */
function markerData(event: HistoryEvent): { activity_type?: string; id?: string } {
  const details = event.markerRecordedEventAttributes!.details!;
  const payload = (details['data'] ?? details['patch-data'])!.payloads![0]!;
  return JSON.parse(Buffer.from(payload.data!).toString('utf8')) as { activity_type?: string; id?: string };
}

test('the mixed fixture is what it claims: the earlier code resolved playbooks by activity and churned the timer; the current code took over', () => {
  const events = mixed.events;
  const patchAt = events.findIndex((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch' && markerData(e).id === CHEAP_TASKS_PATCH);
  expect(patchAt).toBeGreaterThan(0);
  const localActivities = (part: HistoryEvent[]) =>
    part.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').map((e) => markerData(e).activity_type);
  const before = events.slice(0, patchAt);
  const after = events.slice(patchAt);
  expect(localActivities(before)).toEqual(['correlationRulesFor', 'resolvePlaybooks']);
  expect(before.filter((e) => e.timerCanceledEventAttributes).length).toBeGreaterThan(0);
  // The view recorded before had no bindings: the current code fetched one that has them, and started the playbook.
  expect(localActivities(after)).toEqual(['correlationRulesFor']);
  expect(after.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toHaveLength(1);
  expect(after.filter((e) => e.timerCanceledEventAttributes)).toHaveLength(0);
});

test('a history begun before cheap tasks and continued after them replays deterministically with the current code', async () => {
  const bundle = await vigilWorkflowBundle();
  await expect(Worker.runReplayHistory({ workflowBundle: bundle, dataConverter }, mixed, 'entity:fixture:host:web-1')).resolves.toBeUndefined();
});

test('a history from before playbook runs were keyed by target started its playbook under the alert id, and replays', async () => {
  const started = startsPlaybook.events.flatMap((e) => (e.startChildWorkflowExecutionInitiatedEventAttributes ? [e.startChildWorkflowExecutionInitiatedEventAttributes.workflowId] : []));
  expect(started).toEqual([expect.stringMatching(/^playbook:quarantine:alrt-[0-9a-f]{16}$/)]);
  // Alert ids derive from the correlator's workflow id: replay under the recorded one.
  const input = payloadConverter.fromPayload<CorrelatorInput>(startsPlaybook.events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!);
  const bundle = await vigilWorkflowBundle();
  await expect(Worker.runReplayHistory({ workflowBundle: bundle, dataConverter }, startsPlaybook, correlatorWorkflowId(input.tenant, input.entity))).resolves.toBeUndefined();
});

const alertPerEntity = loadFixture('correlator-alert-per-entity.history.json.gz');

test('a history from before one alert per finding: a user correlator raised its own alert for a detection owned by a pod, and replays', async () => {
  const signalled = alertPerEntity.events.flatMap((e) => (e.workflowExecutionSignaledEventAttributes ? [payloadConverter.fromPayload<DetectionBatch>(e.workflowExecutionSignaledEventAttributes.input!.payloads![0]!)] : []));
  expect(signalled.flatMap((b) => b.detections.map((d) => d.entities.map((x) => x.type)))).toEqual([['user', 'pod']]);
  const patches = alertPerEntity.events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch').map((e) => markerData(e).id);
  expect(patches).not.toContain(ONE_ALERT_PER_FINDING_PATCH);
  // The user's correlator published one open alert of its own: what a run begun before the patch keeps doing.
  const openAlerts = alertPerEntity.events.flatMap((e) => {
    const indexed = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.['OpenAlerts'];
    return indexed ? [payloadConverter.fromPayload<number>(indexed)] : [];
  });
  expect(openAlerts).toContain(1);
  const input = payloadConverter.fromPayload<CorrelatorInput>(alertPerEntity.events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!);
  expect(input.entity).toEqual({ type: 'user', id: 'node-a/root' });
  const bundle = await vigilWorkflowBundle();
  await expect(Worker.runReplayHistory({ workflowBundle: bundle, dataConverter }, alertPerEntity, correlatorWorkflowId(input.tenant, input.entity))).resolves.toBeUndefined();
});
