/**
 * The correlator workflow on the real dev server, fed batches as the router sends them: redelivery,
 * repeat-alert suppression, queries, search attributes with the investigator's visibility query, the
 * quiet period, absence alerts from the durable timer, and alert links to the Temporal UI. Analyst
 * updates: updates.test.ts; continue-as-new: continue-as-new.test.ts.
 */
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { EntityRouter } from '../../src/ingest/entity-router';
import type { EntityRef } from '../../src/model/entity';
import { AttackTechniques, OpenAlerts, RiskScore, RuleNames } from '../../src/temporal/search-attributes';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import { suppressUpdate, timelineQuery } from '../../src/contracts/correlator/messages';
import { eventually, sharedTemporalAddress } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { startCorrelatorHarness, type CorrelatorHarness } from './correlator-harness';
import { absenceTimespanMs, correlationIds, ruleRef } from './test-rules';

let h: CorrelatorHarness;
const host = (id: string): EntityRef => ({ type: 'host', id });

beforeAll(async () => {
  h = await startCorrelatorHarness('corr', sharedTemporalAddress());
});

afterAll(async () => {
  await h?.close();
});

test('a redelivered batch and re-sent detections under a new batch id change nothing', async () => {
  const web = host('redelivery-1');
  const t = Date.now();
  // Two recon detections: one more counted would reach the burst threshold (4) with the marker below.
  const first = [h.det(`${h.tenant}-r1`, 't_recon', web, t), h.det(`${h.tenant}-r2`, 't_recon', web, t + 1), h.det(`${h.tenant}-x1`, 't_exec', web, t + 2)];
  // No repeat-alert suppression: a double-counted t_exec would raise a second alert.
  await h.send(web, 'b1', first, { suppressFor: '0s' });
  const before = await h.stateWhen(web, (v) => v.eventCount === 3, 'first batch applied');
  expect(before.alertCount).toBe(1);

  await h.send(web, 'b1', first); // redelivery: same batch id
  await h.send(web, 'b2', first); // re-sent: new batch id, same event ids
  await h.send(web, 'b3', [h.det(`${h.tenant}-r3`, 't_recon', web, t + 3)]); // marker, processed after both
  const after = await h.stateWhen(web, (v) => v.eventCount >= 4, 'marker applied');

  expect(after.eventCount).toBe(4);
  expect(after.alertCount).toBe(1);
  expect(after.openAlerts.map((a) => a.rule.name)).toEqual(['t_exec']); // 3 recon: no burst
  expect(after.timeline.map((e) => e.eventId)).toEqual([`${h.tenant}-r1`, `${h.tenant}-r2`, `${h.tenant}-x1`, `${h.tenant}-r3`]);
  // Only the marker (a low rule, 3 points) added risk; decay over seconds is far below rounding.
  expect(after.riskScore - before.riskScore).toBe(3);
});

test('no second alert for the same rule within suppressFor; a new one after it', async () => {
  const web = host('suppression-1');
  // Long enough for the second detection to arrive within it on a loaded machine.
  await h.send(web, 's1', [h.det(`${h.tenant}-s1`, 't_exec', web, Date.now())], { suppressFor: '6s' });
  const first = await h.stateWhen(web, (v) => v.alertCount === 1, 'first alert');
  await h.send(web, 's2', [h.det(`${h.tenant}-s2`, 't_exec', web, Date.now())]);
  const suppressed = await h.stateWhen(web, (v) => v.eventCount === 2, 'second detection applied');
  expect(suppressed.alertCount).toBe(1);

  const alert = first.openAlerts[0]!;
  await new Promise((r) => setTimeout(r, Math.max(0, alert.raisedAt + 6_000 - Date.now()) + 200));
  await h.send(web, 's3', [h.det(`${h.tenant}-s3`, 't_exec', web, Date.now())]);
  const again = await h.stateWhen(web, (v) => v.eventCount === 3, 'third detection applied');
  expect(again.alertCount).toBe(2);
  expect(again.openAlerts.map((a) => a.events[0]!.id)).toEqual([`${h.tenant}-s1`, `${h.tenant}-s3`]);
});

test('entityState and timeline queries show the state in event-time order; alerts carry their context and UI link', async () => {
  const web = host('query-1');
  const t = Date.now();
  // Out of order within one batch: the timeline is kept in event-time order.
  await h.send(web, 'q1', [h.det(`${h.tenant}-q3`, 't_exec', web, t + 3), h.det(`${h.tenant}-q1`, 't_recon', web, t + 1), h.det(`${h.tenant}-q2`, 't_login', web, t + 2, 'bob')]);
  const view = await h.stateWhen(web, (v) => v.eventCount === 3, 'batch applied');
  const timeline = await h.handle(web).query(timelineQuery);
  expect(timeline.map((e) => e.eventId)).toEqual([`${h.tenant}-q1`, `${h.tenant}-q2`, `${h.tenant}-q3`]);
  expect(view.timeline).toEqual(timeline);
  expect(timeline[1]).toMatchObject({ time: t + 2, source: 'process', rules: ['Test t_login'], summary: `bob@query-1: t_login` });
  expect(view).toMatchObject({ tenant: h.tenant, entity: web, alertCount: 1, lateEvents: 0, rulesetVersion: h.rules.ruleSet().version });

  const alert = view.openAlerts[0]!;
  expect(alert).toMatchObject({ kind: 'detection', rule: ruleRef('t_exec'), entity: web, eventCount: 1, firstSeen: t + 3, status: 'open' });
  expect(alert.events).toEqual([{ id: `${h.tenant}-q3`, time: t + 3, source: 'process', fields: { Hostname: 'query-1', User: 'alice', CommandLine: 't_exec --by alice' } }]);
  expect(alert.link).toBe(`http://localhost:8233/namespaces/default/workflows/${encodeURIComponent(correlatorWorkflowId(h.tenant, web))}`);
});

test('alerts of a correlator the router starts link to the Temporal UI the router was given', async () => {
  const web = host('link-1');
  const router = new EntityRouter(h.client, testLogger, { maxDelayMs: 0, uiBaseUrl: 'https://temporal.example.com/' });
  await router.route(h.tenant, [h.det(`${h.tenant}-l1`, 't_exec', web, Date.now())]);
  const view = await h.stateWhen(web, (v) => v.openAlerts.length === 1, 'an alert');
  expect(view.openAlerts[0]!.link).toBe(`https://temporal.example.com/namespaces/default/workflows/${encodeURIComponent(correlatorWorkflowId(h.tenant, web))}`);
});

test('search attributes are set and the investigator visibility query finds the risky host, not the calm one', async () => {
  const risky = host('risky-1');
  const calm = host('calm-1');
  const t = Date.now();
  // Three high detections: 75 risk points, one alert (the others are suppressed repeats).
  await h.send(risky, 'v1', [0, 1, 2].map((i) => h.det(`${h.tenant}-v${i}`, 't_exec', risky, t + i)));
  await h.send(calm, 'v2', [h.det(`${h.tenant}-c1`, 't_recon', calm, t)]);
  await h.stateWhen(risky, (v) => v.eventCount === 3, 'risky host applied');
  await h.stateWhen(calm, (v) => v.eventCount === 1, 'calm host applied');

  // Written at the end of the pass, after the alert's incident routing (an activity), so possibly after the query sees it.
  const attrs = await eventually(async () => {
    const a = (await h.handle(risky).describe()).typedSearchAttributes;
    return a.get(OpenAlerts) === 1 ? a : undefined;
  }, 'search attributes of the risky host');
  expect(attrs.get(RiskScore)).toBeGreaterThan(50);
  expect(attrs.get(OpenAlerts)).toBe(1);
  expect(attrs.get(RuleNames)).toEqual(['t_exec']);
  expect(attrs.get(AttackTechniques)).toEqual(['T1059']);

  const query = `WorkflowType = 'correlatorWorkflow' AND TenantId = '${h.tenant}' AND EntityType = 'host' AND RiskScore > 50`;
  const riskyId = correlatorWorkflowId(h.tenant, risky);
  const found = await eventually(async () => {
    const ids: string[] = [];
    for await (const wf of h.client.workflow.list({ query })) ids.push(wf.workflowId);
    return ids.includes(riskyId) ? ids : undefined;
  }, 'the risky host in visibility');
  expect(found).not.toContain(correlatorWorkflowId(h.tenant, calm));
});

test('the quiet period completes a correlator with nothing open; an open alert or an analyst suppression keeps it running', async () => {
  const quiet = host('quiet-1');
  const busy = host('quiet-2');
  const suppressing = host('quiet-3');
  await h.send(quiet, 'p1', [h.det(`${h.tenant}-p1`, 't_recon', quiet, Date.now())], { quietPeriod: '3s' });
  await h.send(busy, 'p2', [h.det(`${h.tenant}-p2`, 't_exec', busy, Date.now())], { quietPeriod: '3s' });
  await h.send(suppressing, 'p3', [h.det(`${h.tenant}-p3`, 't_recon', suppressing, Date.now())], { quietPeriod: '3s' });
  await h.stateWhen(suppressing, (v) => v.eventCount === 1, 'detection applied');
  await h.handle(suppressing).executeUpdate(suppressUpdate, { args: [{ rule: 't_recon', for: '12s', by: 'alice', reason: 'scanner' }] });
  await h.handle(quiet).result();
  expect((await h.handle(quiet).describe()).status.name).toBe('COMPLETED');

  // Well past their quiet period, the correlator with an open alert and the one holding a suppression still run.
  await new Promise((r) => setTimeout(r, 6_000));
  const statuses: WorkflowExecutionStatusName[] = await Promise.all([busy, suppressing].map(async (e) => (await h.handle(e).describe()).status.name));
  expect(statuses).toEqual(['RUNNING', 'RUNNING']);
  // Once the suppression has ended, it completes.
  await h.handle(suppressing).result();
});

test('an absence alert fires from the durable timer after timespan + lateness and carries the anchor detection', async () => {
  const web = host('absence-1');
  const t = Date.now();
  const anchor = h.det(`${h.tenant}-a1`, 't_a', web, t, 'u1');
  await h.send(
    web,
    'a1',
    // u1: A and no B → absence. u2: A then B within the timespan → nothing.
    [anchor, h.det(`${h.tenant}-a2`, 't_a', web, t, 'u2'), h.det(`${h.tenant}-b2`, 't_b', web, t + 500, 'u2')],
    { allowedLateness: '1s' },
  );
  const view = await h.stateWhen(web, (v) => v.openAlerts.length > 0, 'absence alert');
  expect(view.openAlerts).toHaveLength(1);
  const alert = view.openAlerts[0]!;
  expect(alert).toMatchObject({ kind: 'absence', rule: { id: correlationIds.aNotB }, group: { Hostname: 'absence-1', User: 'u1' }, firstSeen: t });
  expect(alert.events).toEqual([{ id: anchor.eventId, time: t, source: 'process', fields: anchor.fields }]);
  // Not before the window closed plus the allowance for late events (workflow time).
  expect(alert.raisedAt).toBeGreaterThanOrEqual(t + absenceTimespanMs + 1_000);
});
