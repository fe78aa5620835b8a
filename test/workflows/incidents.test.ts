/**
 * Incidents on the real dev server, through real correlators: each new alert is routed (update-with-start) to its
 * tenant's incident router before its playbooks start; alerts that share an entity, or whose detections link their
 * entities (a process event naming a host and a pod raises one alert, in the pod's correlator, naming both), join
 * one incident; a burst of alerts from many correlators all reach their incidents; two incidents found to be linked merge
 * into the older; severity rises with tactics and rules; acknowledge and resolve are validated updates visible as
 * search attributes; a resolved incident takes no more alerts; a playbook bound `on: incident` starts once.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Detection, RuleRef } from '../../src/model/detection';
import type { EntityRef } from '../../src/model/entity';
import type { Alert } from '../../src/model/alert';
import { acknowledgeIncidentUpdate, incidentStateQuery, resolveIncidentUpdate, routerStateQuery, type IncidentView } from '../../src/contracts/incident/messages';
import { incidentRouterWorkflowId, playbookWorkflowId } from '../../src/temporal/workflow-ids';
import { eventually, sharedTemporalAddress } from '../helpers/shared-servers';
import { startCorrelatorHarness, type CorrelatorHarness } from './correlator-harness';

let h: CorrelatorHarness;
const host = (id: string): EntityRef => ({ type: 'host', id });
const pod = (id: string): EntityRef => ({ type: 'pod', id });

const bindings = `bindings:
  - playbook: incident-notice
    on: incident
    match: { minLevel: critical }
    params: { notify: [webhook], dryRunNotices: true }
`;

beforeAll(async () => {
  h = await startCorrelatorHarness('inc', sharedTemporalAddress(), { responseFiles: { 'incidents.yml': bindings } });
});

afterAll(async () => {
  await h?.close();
});

const rule = (name: string, tactic: string, level: RuleRef['level'] = 'high'): RuleRef => ({ id: `inc-test-${name}`, name, title: `Incident test ${name}`, level, tags: [`attack.${tactic}`] });
let seq = 0;

/** One event of rule `r` naming `entities` (the first owns the detection). */
function detection(r: RuleRef, entities: EntityRef[], time = Date.now()): Detection {
  seq += 1;
  return {
    eventId: `${h.tenant}-ev-${seq}`,
    tenant: h.tenant,
    source: 'process',
    time,
    rules: [r],
    entities,
    fields: { Hostname: entities[0]!.id },
    summary: `${r.name} on ${entities.map((e) => e.id).join(', ')}`,
    rulesetVersion: h.rules.ruleSet().version,
  };
}

/** One event naming `entities` sent, as ingest's router does, to each entity's correlator. */
async function emit(r: RuleRef, entities: EntityRef[]): Promise<Detection> {
  const d = detection(r, entities);
  for (const entity of entities) await h.send(entity, `${d.eventId}-${entity.id}`, [d]);
  return d;
}

/** The entity's open alert for `eventId`, once it carries its incident. */
async function routedAlert(entity: EntityRef, eventId: string): Promise<Alert> {
  const view = await h.stateWhen(entity, (v) => v.openAlerts.some((a) => a.events[0]?.id === eventId && a.incident !== undefined), `alert for ${eventId} on ${entity.id} with its incident`);
  return view.openAlerts.find((a) => a.events[0]?.id === eventId)!;
}

const incident = (alert: Alert) => h.client.workflow.getHandle(alert.incident!.workflowId);
async function incidentWhen(alert: Alert, ready: (v: IncidentView) => boolean, what: string): Promise<IncidentView> {
  return eventually(async () => {
    const view = await incident(alert).query(incidentStateQuery);
    return ready(view) ? view : undefined;
  }, what);
}

test('alerts sharing an entity or linked by their events are one incident; an unrelated alert opens another', async () => {
  const [a, p, b] = [host('link-a'), pod('shop/link-p'), host('link-b')];
  const first = await emit(rule('exec', 'execution'), [a, p]);
  // One alert per finding: the pod owns it (pod > host) and names the host too; the host links to it, raises none.
  const onPod = await routedAlert(p, first.eventId);
  expect(onPod.entities).toEqual([p, a]);
  expect(onPod.incident!.workflowId).toBe(`incident:${h.tenant}:${onPod.incident!.id}`);
  expect(onPod.incident!.link).toContain(encodeURIComponent(onPod.incident!.workflowId));
  const hostView = await h.stateWhen(a, (v) => v.linkedAlerts.some((l) => l.eventId === first.eventId), `host ${a.id} links to the pod's alert`);
  expect(hostView.linkedAlerts.find((l) => l.eventId === first.eventId)).toMatchObject({ alertId: onPod.id, owner: p, entities: [p, a] });
  expect(hostView.openAlerts.filter((x) => x.events[0]?.id === first.eventId)).toEqual([]);

  // Linked through the pod only: same incident.
  const second = await emit(rule('cred', 'credential_access'), [p]);
  expect((await routedAlert(p, second.eventId)).incident!.id).toBe(onPod.incident!.id);
  // On the host alone, linked to the pod by the first event (its alert names both): same incident.
  const third = await emit(rule('exec-host', 'execution'), [a]);
  expect((await routedAlert(a, third.eventId)).incident!.id).toBe(onPod.incident!.id);
  // Nothing in common: its own incident.
  const other = await emit(rule('exec', 'execution'), [b]);
  expect((await routedAlert(b, other.eventId)).incident!.id).not.toBe(onPod.incident!.id);

  const view = await incidentWhen(onPod, (v) => v.alertCount === 3, 'three alerts in the incident');
  expect(view.status).toBe('open');
  expect(view.entities).toEqual(expect.arrayContaining([a, p]));
  expect(view.entities).not.toContainEqual(b);
  expect(view.tactics).toEqual(['execution', 'credential-access']); // kill-chain order
  expect(view.severity).toBe('high');
  // One row per event, in event order.
  expect(view.timeline.map((t) => t.eventId)).toEqual([first.eventId, second.eventId, third.eventId]);
});

test('a burst of alerts from many correlators at once: every alert reaches its incident', async () => {
  // 40 alerts from 20 correlators routed together, well over the server's limit of 10 in-flight updates per
  // workflow (the router): the worker batches them into a few updates (incident-routing-batch.test.ts), none is lost.
  const hosts = Array.from({ length: 20 }, (_, i) => host(`burst-${i}`));
  const rules = [rule('burst-exec', 'execution'), rule('burst-cred', 'credential_access')];
  const now = Date.now();
  const detections = hosts.map((x) => rules.map((r, j) => detection(r, [x], now + j)));
  await Promise.all(hosts.map((x, i) => h.send(x, `burst-${i}`, detections[i]!)));
  const alerts = (
    await Promise.all(hosts.map((x) => h.stateWhen(x, (v) => v.openAlerts.length === 2 && v.openAlerts.every((a) => a.incident !== undefined), `both alerts on ${x.id} routed`)))
  ).flatMap((v) => v.openAlerts);
  expect(alerts).toHaveLength(40);
  // One incident per host (nothing links them), each holding that host's two alerts.
  const byIncident = new Map<string, string[]>();
  for (const a of alerts) byIncident.set(a.incident!.id, [...(byIncident.get(a.incident!.id) ?? []), a.entity.id]);
  expect(byIncident.size).toBe(20);
  for (const entities of byIncident.values()) expect(entities).toEqual([entities[0], entities[0]]);
  const routed = await h.client.workflow.getHandle(incidentRouterWorkflowId(h.tenant)).query(routerStateQuery);
  for (const id of byIncident.keys()) expect(routed.find((i) => i.id === id)?.alerts).toBe(2);
});

test('two incidents found to be linked merge into the older; severity rises with tactics', async () => {
  const [c, d] = [host('merge-c'), host('merge-d')];
  const onC = await emit(rule('exec', 'execution'), [c]);
  const alertC = await routedAlert(c, onC.eventId);
  const onD = await emit(rule('persist', 'persistence'), [d]);
  const alertD = await routedAlert(d, onD.eventId);
  expect(alertD.incident!.id).not.toBe(alertC.incident!.id);

  // Naming both hosts: the first named owns it (one alert, on c); d links to it.
  const bridge = await emit(rule('evade', 'defense_evasion'), [c, d]);
  const bridgeAlert = await routedAlert(c, bridge.eventId);
  expect(bridgeAlert.incident!.id).toBe(alertC.incident!.id);
  expect(bridgeAlert.entities).toEqual([c, d]);
  const dView = await h.stateWhen(d, (v) => v.linkedAlerts.some((l) => l.eventId === bridge.eventId), `host ${d.id} links to the bridging alert`);
  expect(dView.linkedAlerts.find((l) => l.eventId === bridge.eventId)?.alertId).toBe(bridgeAlert.id);
  const merged = await incidentWhen(alertD, (v) => v.status === 'merged', 'the younger incident merged');
  expect(merged.mergedInto?.id).toBe(alertC.incident!.id);
  await incident(alertD).result(); // it completes once handed over

  const survivor = await incidentWhen(alertC, (v) => v.alertCount === 3 && v.mergedFrom.length === 1 && v.playbooks.length >= 2, 'the older holds every alert and started its playbooks');
  expect(survivor.alerts.map((x) => x.id).sort()).toEqual([alertC.id, alertD.id, bridgeAlert.id].sort());
  expect(survivor.entities).toEqual(expect.arrayContaining([c, d]));
  expect(survivor.tactics).toEqual(['execution', 'persistence', 'defense-evasion']);
  // High alerts over three tactics: one step up.
  expect(survivor.severity).toBe('critical');
  // The `on: incident` bindings (this file's and the shipped one, both minLevel critical) started their playbooks once.
  const playbookId = playbookWorkflowId(alertC.incident!.id, 'incident-notice');
  expect([...survivor.playbooks].sort()).toEqual([playbookId, playbookWorkflowId(alertC.incident!.id, 'notify-critical-incident')].sort());
  const run = await h.client.workflow.getHandle(playbookId).describe();
  expect(run.type).toBe('playbookWorkflow');

  const listed = await eventually(async () => {
    const { count } = await h.client.workflow.count(`WorkflowType = 'incidentWorkflow' AND TenantId = '${h.tenant}' AND IncidentSeverity = 'critical' AND IncidentStatus = 'open'`);
    return count === 1 ? count : undefined;
  }, 'the critical open incident visible by search attributes');
  expect(listed).toBe(1);
});

async function expectRefused(update: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await update.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect(cause.type).toBe('VGL_INCIDENT_INVALID');
  expect(cause.message).toMatch(message);
}

test('acknowledge and resolve are validated updates; a resolved incident takes no more alerts', async () => {
  const e = host('resolve-e');
  const firstEvent = await emit(rule('exec', 'execution'), [e]);
  const alert = await routedAlert(e, firstEvent.eventId);
  const handle = incident(alert);

  await expectRefused(handle.executeUpdate(resolveIncidentUpdate, { args: [{ by: 'bob', verdict: 'maybe' as never }] }), /verdict: must be one of/);
  await expectRefused(handle.executeUpdate(acknowledgeIncidentUpdate, { args: [{ by: '' }] }), /by: who acknowledges/);
  const acked = await handle.executeUpdate(acknowledgeIncidentUpdate, { args: [{ by: 'bob', note: 'looking' }] });
  expect(acked.status).toBe('acknowledged');
  await expectRefused(handle.executeUpdate(acknowledgeIncidentUpdate, { args: [{ by: 'bob' }] }), /only an open incident/);
  const resolved = await handle.executeUpdate(resolveIncidentUpdate, { args: [{ by: 'carol', verdict: 'true_positive', note: 'contained' }] });
  expect(resolved).toMatchObject({ status: 'resolved', verdict: 'true_positive' });
  expect(resolved.actions.map((x) => [x.kind, x.by])).toEqual([
    ['acknowledge', 'bob'],
    ['resolve', 'carol'],
  ]);
  await eventually(async () => {
    const { count } = await h.client.workflow.count(`WorkflowType = 'incidentWorkflow' AND TenantId = '${h.tenant}' AND IncidentStatus = 'resolved'`);
    return count >= 1 ? count : undefined;
  }, 'resolved status as a search attribute');

  // The router learns it is closed: the next alert on the same host opens a new incident.
  const afterEvent = await eventually(async () => {
    const view = await h.client.workflow.getHandle(incidentRouterWorkflowId(h.tenant)).query(routerStateQuery);
    return view.some((i) => i.id === alert.incident!.id && !i.open) ? true : undefined;
  }, 'router knows the incident is closed');
  expect(afterEvent).toBe(true);
  const later = await emit(rule('exec-again', 'execution'), [e]);
  expect((await routedAlert(e, later.eventId)).incident!.id).not.toBe(alert.incident!.id);
});

test('router and incident continue as new and lose no alert or grouping', async () => {
  const small = await startCorrelatorHarness('inccan', sharedTemporalAddress(), { activities: { incidents: { maxHistoryEvents: 15 } } });
  try {
    const hub = host('can-hub');
    const alerts: Alert[] = [];
    // Twelve alerts on twelve hosts, each also naming the hub: one incident, over several runs of router and incident.
    // One at a time, each routed before the next: the worker would batch concurrent ones into a single update (and
    // the router would then send them in one signal), leaving too few events to continue as new.
    for (let i = 0; i < 12; i++) {
      const spoke = host(`can-${i}`);
      const d: Detection = { ...small.det(`${small.tenant}-can-${i}`, 't_exec', spoke, Date.now()), entities: [spoke, hub] };
      await small.send(spoke, `can-${i}`, [d]);
      alerts.push((await small.stateWhen(spoke, (v) => v.openAlerts[0]?.incident !== undefined, `alert on ${spoke.id} routed`)).openAlerts[0]!);
    }
    expect(new Set(alerts.map((a) => a.incident!.id)).size).toBe(1);
    const handle = small.client.workflow.getHandle(alerts[0]!.incident!.workflowId);
    const view = await eventually(async () => {
      const v = await handle.query(incidentStateQuery);
      return v.alertCount === 12 ? v : undefined;
    }, 'twelve alerts in the incident');
    expect(new Set(view.alerts.map((a) => a.id))).toEqual(new Set(alerts.map((a) => a.id)));
    expect(view.entities).toContainEqual(hub);
    // Both continued as new at least once (a run's first event is its start; later runs have a predecessor).
    const firstEvent = async (workflowId: string) => (await small.client.workflow.getHandle(workflowId).fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
    expect((await firstEvent(alerts[0]!.incident!.workflowId)).continuedExecutionRunId).toBeTruthy();
    expect((await firstEvent(incidentRouterWorkflowId(small.tenant))).continuedExecutionRunId).toBeTruthy();
  } finally {
    await small.close();
  }
});
