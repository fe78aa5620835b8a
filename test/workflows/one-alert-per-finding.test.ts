/**
 * One alert per finding, on a real Temporal server with ingest's router: a detection naming several entities reaches
 * each one's correlator, only the owner's (src/model/finding-owner.ts: pod > host > user > ip > account > group)
 * raises the alert, and the others record the risk and a timeline row pointing to it. Redelivered batches (whole, or
 * regrouped with other detections) and continue-as-new raise no second alert and no second link.
 */
import { Worker } from '@temporalio/worker';
import type { Detection } from '../../src/model/detection';
import type { EntityRef, EntityType } from '../../src/model/entity';
import { ownershipOrder } from '../../src/model/finding-owner';
import { EntityRouter } from '../../src/ingest/entity-router';
import { dataConverter } from '../../src/temporal/data-converter';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import { verdictUpdate, type EntityStateView } from '../../src/contracts/correlator/messages';
import { eventually, sharedTemporalAddress } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { runVigilAsync } from '../helpers/vigil-process';
import { vigilWorkflowBundle } from '../helpers/workflow-bundles';
import { startCorrelatorHarness, type CorrelatorHarness } from './correlator-harness';
import type { TestRuleName } from './test-rules';

let h: CorrelatorHarness;
let router: EntityRouter;

beforeAll(async () => {
  h = await startCorrelatorHarness('finding', sharedTemporalAddress());
  router = new EntityRouter(h.client, testLogger, { maxDelayMs: 0 });
});

afterAll(async () => {
  await h?.close();
});

/** An entity of `type` for case `tag` (a group's id is `{correlation}|{values}`, here a correlation no rule defines). */
const entityOf = (type: EntityType, tag: string): EntityRef => ({ type, id: type === 'group' ? `none|${tag}` : `${type}-${tag}` });

/** A detection of `rule` naming `entities` (a process event: fields as the harness's rules read them). */
function named(eventId: string, rule: TestRuleName, entities: EntityRef[], time = Date.now()): Detection {
  return { ...h.det(`${h.tenant}-${eventId}`, rule, entities[0]!, time), entities };
}

const flow = (entity: EntityRef) => correlatorWorkflowId(h.tenant, entity);

test.each(ownershipOrder.map((type, k) => [type, ownershipOrder.slice(k)] as const))(
  'a detection whose most specific entity is a %s raises one alert there; every other entity it names links to it',
  async (ownerType, types) => {
    // Named least specific first: position in the list does not decide, specificity does.
    const entities = [...types].reverse().map((t) => entityOf(t, ownerType));
    const owner = entityOf(ownerType, ownerType);
    const d = named(`exec-${ownerType}`, 't_exec', entities);
    await router.route(h.tenant, [d]);

    const ownerView = await h.stateWhen(owner, (v) => v.openAlerts.length > 0, `the alert on ${ownerType}`);
    expect(ownerView.openAlerts).toHaveLength(1);
    const alert = ownerView.openAlerts[0]!;
    expect(alert.entity).toEqual(owner);
    expect(alert.entities).toEqual([owner, ...entities.filter((e) => e.type !== ownerType)]);
    expect(alert.correlatorWorkflowId).toBe(flow(owner));
    expect(ownerView.linkedAlerts).toEqual([]);
    expect(ownerView.riskScore).toBe(25);

    for (const other of entities.filter((e) => e.type !== ownerType)) {
      const view = await h.stateWhen(other, (v) => v.eventCount === 1, `the detection on ${other.type}`);
      expect(view.openAlerts).toEqual([]);
      expect(view.alertCount).toBe(0);
      expect(view.riskScore).toBe(25);
      expect(view.timeline).toEqual([expect.objectContaining({ eventId: d.eventId, linkedAlerts: [{ alertId: alert.id, correlatorWorkflowId: flow(owner) }] })]);
      expect(view.linkedAlerts).toEqual([
        { alertId: alert.id, correlatorWorkflowId: flow(owner), owner, entities: alert.entities, rule: d.rules[0], eventId: d.eventId, time: d.time, link: expect.stringContaining(encodeURIComponent(flow(owner))) },
      ]);
    }
  },
);

test('a repeat of a finding within the suppression period links to its first alert; the same rule with another user is another finding', async () => {
  const pod = entityOf('pod', 'repeat');
  const [alice, bob] = [entityOf('user', 'repeat-alice'), entityOf('user', 'repeat-bob')];
  const first = named('exec-repeat-1', 't_exec', [pod, alice]);
  const again = named('exec-repeat-2', 't_exec', [alice, pod]); // the same finding, named in another order
  const other = named('exec-repeat-3', 't_exec', [pod, bob]);
  await router.route(h.tenant, [first, again, other]);
  const podView = await h.stateWhen(pod, (v) => v.eventCount === 3, 'three events on the pod');
  const [aliceView, bobView] = await Promise.all([alice, bob].map((u) => h.stateWhen(u, (v) => v.eventCount > 0 && v.timeline.every((t) => t.linkedAlerts), `the link on ${u.id}`)));

  expect(podView.openAlerts.map((a) => [a.events[0]!.id, a.entities])).toEqual([
    [first.eventId, [pod, alice]],
    [other.eventId, [pod, bob]],
  ]);
  const [aliceAlert, bobAlert] = podView.openAlerts;
  expect(aliceView!.linkedAlerts.map((l) => l.alertId)).toEqual([aliceAlert!.id]);
  expect(aliceView!.timeline.map((t) => [t.eventId, t.linkedAlerts![0]!.alertId])).toEqual([
    [first.eventId, aliceAlert!.id],
    [again.eventId, aliceAlert!.id],
  ]);
  expect(bobView!.linkedAlerts.map((l) => l.alertId)).toEqual([bobAlert!.id]);
});

test('vigil entity show lists a linked alert with its owner and points the timeline row to it', async () => {
  const pod = entityOf('pod', 'cli');
  const user = entityOf('user', 'cli');
  await router.route(h.tenant, [named('exec-cli', 't_exec', [user, pod])]);
  // Once routed: the alert carries its incident from then on (read before, it would differ from later reads).
  const alert = (await h.stateWhen(pod, (v) => v.openAlerts.length === 1 && v.openAlerts[0]!.incident !== undefined, 'the pod alert, routed')).openAlerts[0]!;
  await h.stateWhen(user, (v) => v.linkedAlerts.length === 1, 'the link on the user');
  // A child process: this jest process runs the worker, so the command must not block it.
  const shown = await runVigilAsync(['entity', 'show', h.tenant, 'user', user.id], { TEMPORAL_ADDRESS: sharedTemporalAddress() });
  expect(shown.stderr).toBe('');
  expect(shown.stdout).toMatch(/open alerts:\nlinked alerts/);
  expect(shown.stdout).toContain(`owned by pod:${pod.id}  Test t_exec  (${alert.id} in ${flow(pod)})`);
  expect(shown.stdout).toContain(`→ ${alert.id} in ${flow(pod)}`);
  // A verdict belongs with the alert: the linked entity names where to give it.
  await expect(h.handle(user).executeUpdate(verdictUpdate, { args: [{ alertId: alert.id, verdict: 'true_positive', by: 'alice' }] })).rejects.toMatchObject({
    cause: { type: 'VGL_UPDATE_REJECTED', message: expect.stringContaining(`is owned by ${flow(pod)}`) },
  });
});

test('redelivered batches and continue-as-new raise no second alert and record no second link', async () => {
  const entities = [entityOf('user', 'redo'), entityOf('host', 'redo'), entityOf('pod', 'redo')];
  const pod = entities[2]!;
  // Small histories: every few batches each correlator continues as new, carrying its state.
  for (const e of entities) await h.start(e, { maxHistoryEvents: 25 });
  const exec = named('exec-redo', 't_exec', entities);
  await router.route(h.tenant, [exec]);
  // Once routed: the alert carries its incident from then on (read before, it would differ from later reads).
  const alert = (await h.stateWhen(pod, (v) => v.openAlerts.length === 1 && v.openAlerts[0]!.incident !== undefined, 'the pod alert, routed')).openAlerts[0]!;

  let noise = 0;
  const sendNoise = async (): Promise<void> => {
    noise += 1;
    await router.route(h.tenant, [named(`noise-${noise}`, 't_noise', entities)]);
  };
  const allCounted = (what: string) =>
    Promise.all(entities.map((e) => h.stateWhen(e, (v) => v.eventCount === 1 + noise, `${what} on ${e.type}`)));

  // Redelivery before continue-as-new: the same batch again (same batch id), then regrouped with a new detection.
  await router.route(h.tenant, [exec]);
  await router.route(h.tenant, [exec, named(`noise-${++noise}`, 't_noise', entities)]);
  await allCounted('the regrouped batch');

  // Continue-as-new in every correlator, then the same redeliveries in the new runs.
  const continued = (e: EntityRef) => h.client.workflow.count(`WorkflowId = '${flow(e)}' AND ExecutionStatus = 'ContinuedAsNew'`);
  await eventually(async () => {
    await sendNoise();
    await allCounted('noise');
    const counts = await Promise.all(entities.map(continued));
    return counts.every((c) => c.count >= 1) ? true : undefined;
  }, 'every correlator continued as new');
  await router.route(h.tenant, [exec]);
  await router.route(h.tenant, [named(`noise-${++noise}`, 't_noise', entities), exec]);
  const views: EntityStateView[] = await allCounted('after continue-as-new');

  const [userView, hostView, podView] = views as [EntityStateView, EntityStateView, EntityStateView];
  expect(podView.alertCount).toBe(1);
  expect(podView.openAlerts).toEqual([alert]);
  for (const view of [userView, hostView]) {
    expect(view.alertCount).toBe(0);
    expect(view.linkedAlerts.map((l) => l.alertId)).toEqual([alert.id]);
    expect(view.timeline.filter((t) => t.eventId === exec.eventId)).toEqual([expect.objectContaining({ linkedAlerts: [{ alertId: alert.id, correlatorWorkflowId: flow(pod) }] })]);
  }
  for (const view of views) expect(view.timeline.filter((t) => t.eventId === exec.eventId)).toHaveLength(1);

  // The runs that ended in continue-as-new (closed: a running one's history may end inside a task) replay with the
  // current code.
  const bundle = await vigilWorkflowBundle();
  for (const e of entities) {
    for await (const run of h.client.workflow.list({ query: `WorkflowId = '${flow(e)}' AND ExecutionStatus = 'ContinuedAsNew'` })) {
      await Worker.runReplayHistory({ workflowBundle: bundle, dataConverter }, await h.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory(), run.workflowId);
    }
  }
});
