/**
 * Continue-as-new under load on a dev server of its own whose continue-as-new suggestion comes after 80
 * history events (the default is 4,096): hundreds of concurrent batches make the correlator continue-as-new
 * many times, and nothing is lost across runs: every event counted and in the timeline, the open alert,
 * repeat-alert and analyst suppressions, and correlation windows begun in an earlier run; a run that ended
 * in continue-as-new replays deterministically.
 */
import { Worker } from '@temporalio/worker';
import { dataConverter } from '../../src/temporal/data-converter';
import type { DevServer } from '../../src/temporal/dev-server';
import type { EntityRef } from '../../src/model/entity';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import { suppressUpdate } from '../../src/contracts/correlator/messages';
import { eventually } from '../helpers/shared-servers';
import { startTemporalServer } from '../helpers/temporal-env';
import { vigilWorkflowBundle } from '../helpers/workflow-bundles';
import { quietSdkLogs, startCorrelatorHarness, type CorrelatorHarness } from './correlator-harness';
import { correlationIds, ruleRef } from './test-rules';

let server: DevServer;
let h: CorrelatorHarness;

beforeAll(async () => {
  quietSdkLogs();
  server = await startTemporalServer({ 'limit.historyCount.suggestContinueAsNew': 80 });
  h = await startCorrelatorHarness('can', server.address);
});

afterAll(async () => {
  await h?.close();
  await server?.stop();
});

/** Runs `tasks` with at most `limit` in flight. */
async function inParallel(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < tasks.length) await tasks[next++]!();
  }));
}

test('continue-as-new under load loses no event, alert, suppression or correlation window', async () => {
  const web: EntityRef = { type: 'host', id: 'can-1' };
  const workflowId = correlatorWorkflowId(h.tenant, web);
  let clock = Date.now();
  const id = (name: string) => `${h.tenant}-${name}`;
  const settings = { maxTimeline: 5_000 };

  // Before the load: an alert, three of the four recon a burst needs, the first half of login → priv.
  const pre = [h.det(id('x1'), 't_exec', web, ++clock), ...[1, 2, 3].map((i) => h.det(id(`r${i}`), 't_recon', web, ++clock)), h.det(id('login'), 't_login', web, ++clock)];
  await h.send(web, 'pre', pre, settings);
  // The alert is complete once it carries its incident (routed by an activity after the batch is applied).
  const first = await h.stateWhen(web, (v) => v.eventCount === pre.length && v.openAlerts[0]?.incident !== undefined, 'first batch');
  const alert = first.openAlerts[0]!;
  await h.handle(web).executeUpdate(suppressUpdate, { args: [{ rule: 't_login_then_priv', for: '1h', by: 'alice', reason: 'pentest' }] });
  const firstRunId = (await h.handle(web).describe()).runId;

  const signals = 200;
  const perSignal = 3;
  const load = Array.from({ length: signals }, (_, s) => () =>
    h.send(web, `load-${s}`, Array.from({ length: perSignal }, (_, j) => h.det(id(`n${s}-${j}`), 't_noise', web, ++clock))),
  );
  await inParallel(load, 8);
  await h.stateWhen(web, (v) => v.eventCount === pre.length + signals * perSignal, 'every load event counted');

  const continued = await eventually(async () => {
    const { count } = await h.client.workflow.count(`WorkflowId = '${workflowId}' AND ExecutionStatus = 'ContinuedAsNew'`);
    return count >= 2 ? count : undefined;
  }, 'runs closed by continue-as-new');
  expect(continued).toBeGreaterThanOrEqual(2);
  expect((await h.handle(web).describe()).runId).not.toBe(firstRunId);

  // After the load, in a later run: the burst completes with the window's earlier events; the suppressed
  // correlation and the repeat of t_exec raise nothing.
  const post = [h.det(id('r4'), 't_recon', web, ++clock), h.det(id('priv'), 't_priv', web, ++clock), h.det(id('x2'), 't_exec', web, ++clock)];
  await h.send(web, 'post', post);
  const total = pre.length + signals * perSignal + post.length;
  const last = await h.stateWhen(web, (v) => v.eventCount === total, 'every event counted');

  expect(last.alertCount).toBe(2);
  expect(last.openAlerts[0]).toEqual(alert);
  expect(last.openAlerts[1]).toMatchObject({ kind: 'correlation', rule: { id: correlationIds.burst }, eventCount: 4 });
  expect(last.openAlerts[1]!.events.map((e) => e.id)).toEqual([id('r1'), id('r2'), id('r3'), id('r4')]);
  expect(last.suppressedAlerts).toBe(1);
  expect(Object.keys(last.suppressions)).toEqual([correlationIds.loginThenPriv]);
  expect(last.analystActions).toEqual([expect.objectContaining({ kind: 'suppress', by: 'alice' })]);
  expect(last.lateEvents).toBe(0);
  const timeline = new Set(last.timeline.map((e) => e.eventId));
  expect(timeline.size).toBe(total);
  for (const d of [...pre, ...post]) expect(timeline.has(d.eventId)).toBe(true);
  for (let s = 0; s < signals; s++) for (let j = 0; j < perSignal; j++) expect(timeline.has(id(`n${s}-${j}`))).toBe(true);
  expect(last.ruleVerdicts).toEqual({});
  expect(ruleRef('t_exec').id).toBe(alert.rule.id);

  // The first run (an update, concurrent signals, continue-as-new) replays deterministically.
  const history = await h.client.workflow.getHandle(workflowId, firstRunId).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: await vigilWorkflowBundle(), dataConverter }, history, workflowId);
});
