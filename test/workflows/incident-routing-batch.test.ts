/**
 * Batched incident routing on the real dev server, through real correlators and the real routing activity: a burst
 * of alerts from many correlators (concurrent activity calls) reaches the tenant's router in far fewer updates than
 * alerts (routeAlerts, one per batch), each alert routed exactly once to its incident; a batch sent again (same
 * alerts: same update id) or an alert sent again in another batch is answered, not routed twice; the single-alert
 * update of workers before batching still routes; malformed batches are refused with VGL_INCIDENT_INVALID.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { routeBatchUpdateId } from '../../activities/incidents';
import { incidentStateQuery, routeAlertsUpdate, routeAlertUpdate, routerStateQuery, type RouterIncidentView } from '../../src/contracts/incident/messages';
import type { Alert } from '../../src/model/alert';
import type { Detection, RuleRef } from '../../src/model/detection';
import type { EntityRef } from '../../src/model/entity';
import { incidentRouterWorkflowId } from '../../src/temporal/workflow-ids';
import { eventually, sharedTemporalAddress } from '../helpers/shared-servers';
import { startCorrelatorHarness, type CorrelatorHarness } from './correlator-harness';

let h: CorrelatorHarness;
/** The burst's alerts as their correlators hold them (with their incident), set by the first test. */
let burst: Alert[] = [];

beforeAll(async () => {
  h = await startCorrelatorHarness('incb', sharedTemporalAddress());
});

afterAll(async () => {
  await h?.close();
});

const router = () => h.client.workflow.getHandle(incidentRouterWorkflowId(h.tenant));
const rules: RuleRef[] = [
  { id: 'incb-exec', name: 'exec', title: 'Batch test exec', level: 'high', tags: ['attack.execution'] },
  { id: 'incb-cred', name: 'cred', title: 'Batch test cred', level: 'high', tags: ['attack.credential_access'] },
];
/** The alert as the correlator sends it to the activity: before it carries its incident. */
const unrouted = ({ incident: _incident, ...alert }: Alert): Alert => alert;
const routerTotal = (view: RouterIncidentView[]) => view.reduce((n, i) => n + i.alerts, 0);

async function acceptedUpdates(): Promise<string[]> {
  const history = await router().fetchHistory();
  return history.events!.flatMap((e) => (e.workflowExecutionUpdateAcceptedEventAttributes ? [e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest!.input!.name!] : []));
}

test('a burst of 48 alerts from 24 correlators is routed in far fewer updates, each alert once to its incident', async () => {
  const hosts: EntityRef[] = Array.from({ length: 24 }, (_, i) => ({ type: 'host', id: `batch-${i}` }));
  const now = Date.now();
  const detections = hosts.map((x, i) =>
    rules.map((r, j): Detection => ({ eventId: `${h.tenant}-ev-${i}-${j}`, tenant: h.tenant, source: 'process', time: now + j, rules: [r], entities: [x], fields: { Hostname: x.id }, summary: `${r.name} on ${x.id}`, rulesetVersion: h.rules.ruleSet().version })),
  );
  await Promise.all(hosts.map((x, i) => h.send(x, `batch-${i}`, detections[i]!)));
  const views = await Promise.all(hosts.map((x) => h.stateWhen(x, (v) => v.openAlerts.length === 2 && v.openAlerts.every((a) => a.incident !== undefined), `both alerts on ${x.id} routed`)));
  burst = views.flatMap((v) => v.openAlerts);
  expect(burst).toHaveLength(48);

  // Nothing links the hosts: one incident per host, holding that host's two alerts and no other.
  const byIncident = new Map<string, Alert[]>();
  for (const a of burst) byIncident.set(a.incident!.id, [...(byIncident.get(a.incident!.id) ?? []), a]);
  expect(byIncident.size).toBe(24);
  for (const alerts of byIncident.values()) expect(alerts.map((a) => a.entity.id)).toEqual([alerts[0]!.entity.id, alerts[0]!.entity.id]);

  // Exactly once: the router counted each alert once, and each incident holds its two alerts.
  const view = await router().query(routerStateQuery);
  expect(routerTotal(view)).toBe(48);
  for (const id of byIncident.keys()) expect(view.find((i) => i.id === id)?.alerts).toBe(2);
  for (const alerts of byIncident.values()) {
    const incident = await eventually(async () => {
      const v = await h.client.workflow.getHandle(alerts[0]!.incident!.workflowId).query(incidentStateQuery);
      return v.alertCount === 2 ? v : undefined;
    }, `incident ${alerts[0]!.incident!.id} holds its two alerts`);
    expect(incident.alerts.map((a) => a.id).sort()).toEqual(alerts.map((a) => a.id).sort());
  }

  // One run of the router, and its updates were batches: fewer than the alerts.
  const first = (await router().fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
  expect(first.continuedExecutionRunId).toBeFalsy();
  const updates = await acceptedUpdates();
  expect(updates.length).toBeGreaterThan(0);
  expect(updates.length).toBeLessThan(48);
  expect(new Set(updates)).toEqual(new Set(['routeAlerts']));
});

test('a batch sent again, or an alert sent again in another batch, is answered and not routed twice', async () => {
  expect(burst).toHaveLength(48);
  const [a, b, c] = [burst[0]!, burst[2]!, burst[4]!];
  const batch = [unrouted(a), unrouted(b)];
  const updatesBefore = (await acceptedUpdates()).length;
  const send = (alerts: Alert[]) => router().executeUpdate(routeAlertsUpdate, { args: [{ alerts }], updateId: routeBatchUpdateId(alerts) });

  const once = await send(batch);
  const again = await send([...batch].reverse()); // same alerts, same update id: the server answers the first
  expect(once.map((r) => r.id)).toEqual([a.incident!.id, b.incident!.id]);
  expect(again).toEqual(once);
  expect((await acceptedUpdates()).length).toBeLessThanOrEqual(updatesBefore + 1);

  // A retried alert batched with others: the router remembers it (idempotent per alert id).
  const mixed = await send([unrouted(c), unrouted(b)]);
  expect(mixed.map((r) => r.id)).toEqual([c.incident!.id, b.incident!.id]);

  const view = await router().query(routerStateQuery);
  expect(routerTotal(view)).toBe(48);
  for (const x of [a, b, c]) expect(view.find((i) => i.id === x.incident!.id)?.alerts).toBe(2);
});

test('the single-alert update of workers before batching still routes; malformed batches are refused', async () => {
  expect(burst).toHaveLength(48);
  const known = burst[6]!;
  const newer: Alert = { ...unrouted(known), id: `${known.id}-single` };
  const ref = await router().executeUpdate(routeAlertUpdate, { args: [{ alert: newer }], updateId: `route-${newer.id}` });
  expect(ref.id).toBe(known.incident!.id); // same entity, within the window: the same incident
  expect((await router().query(routerStateQuery)).find((i) => i.id === known.incident!.id)?.alerts).toBe(3);

  const refused = async (alerts: Alert[], message: RegExp) => {
    const err = await router()
      .executeUpdate(routeAlertsUpdate, { args: [{ alerts }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('VGL_INCIDENT_INVALID');
    expect(cause.message).toMatch(message);
  };
  await refused([], /routeAlerts: alerts must be a non-empty list/);
  await refused([unrouted(known), { ...unrouted(known), id: 'elsewhere-1', tenant: 'another-tenant' }], new RegExp(`routeAlerts: alerts\\[1\\]: an alert of tenant ${h.tenant}`));
  expect(routerTotal(await router().query(routerStateQuery))).toBe(49);
});
