/**
 * The incident router's deliveries stay under Temporal's payload limit: alerts that pile up for one incident while a
 * send is in flight are split into deliveries of at most MAX_DELIVERY_ALERTS alerts and MAX_DELIVERY_BYTES, in order,
 * none lost; a history from before the bound (patch not set) still merges them all into one, as it was recorded.
 * RouterState is the router's pure state (the workflow sends `outbox` in order), so this runs it directly.
 */
import type { Alert } from '../../src/model/alert';
import { payloadSizeBound } from '../../src/temporal/payload-size';
import { MAX_DELIVERY_ALERTS, MAX_DELIVERY_BYTES, RouterState } from '../../workflows/incident/router-state';

const tenant = 'bound';

function alert(i: number, padding = 0): Alert {
  return {
    id: `alrt-${i}`,
    kind: 'detection',
    tenant,
    entity: { type: 'pod', id: 'shop/web-1' },
    entities: [{ type: 'pod', id: 'shop/web-1' }],
    rule: { id: 'r1', title: 'R1', level: 'high', tags: [] },
    group: {},
    events: [{ id: `ev-${i}`, time: i, source: 'process', fields: { CommandLine: 'x'.repeat(padding) } }],
    eventCount: 1,
    firstSeen: i,
    lastSeen: i,
    raisedAt: i,
    rulesetVersion: 'v1',
    correlatorWorkflowId: `entity:${tenant}:pod:shop/web-1`,
    status: 'open',
  };
}

/** Routes `alerts` while the first delivery (the incident's start) is being sent, as a burst meets the router. */
function burst(alerts: Alert[], bounded: boolean): RouterState {
  const state = new RouterState(tenant, 3_600_000, 'http://ui', 'default', undefined, bounded);
  state.route(alerts[0]!, 1_000);
  state.sending = true;
  for (const a of alerts.slice(1)) state.route(a, 1_001);
  return state;
}

const sentAlerts = (state: RouterState): string[] => state.outbox.flatMap((d) => (d.kind === 'merge' ? [] : d.alerts.map((a) => a.id)));

test('a burst for one incident is split into deliveries within the alert bound, in order, none lost', () => {
  const alerts = Array.from({ length: 2 * MAX_DELIVERY_ALERTS + 51 }, (_, i) => alert(i));
  const state = burst(alerts, true);
  expect(state.outbox.map((d) => d.kind)).toEqual(['start', 'alerts', 'alerts', 'alerts']);
  expect(state.outbox.map((d) => (d.kind === 'merge' ? 0 : d.alerts.length))).toEqual([1, MAX_DELIVERY_ALERTS, MAX_DELIVERY_ALERTS, 50]);
  expect(sentAlerts(state)).toEqual(alerts.map((a) => a.id));
});

test('large alerts are split by bytes: no delivery exceeds MAX_DELIVERY_BYTES', () => {
  const big = Math.floor(MAX_DELIVERY_BYTES / 4); // about four per delivery
  const alerts = Array.from({ length: 20 }, (_, i) => alert(i, big));
  const state = burst(alerts, true);
  for (const d of state.outbox) {
    if (d.kind === 'merge') continue;
    const bytes = d.alerts.reduce((n, a) => n + payloadSizeBound(a), 0);
    expect(bytes).toBeLessThanOrEqual(MAX_DELIVERY_BYTES);
    expect(d.bytes).toBe(bytes);
  }
  expect(state.outbox.length).toBeGreaterThanOrEqual(6);
  expect(sentAlerts(state)).toEqual(alerts.map((a) => a.id));
});

test('replaying a history from before the bound merges the waiting alerts into one delivery, as recorded', () => {
  const alerts = Array.from({ length: 2 * MAX_DELIVERY_ALERTS + 51 }, (_, i) => alert(i));
  const state = burst(alerts, false);
  expect(state.outbox.map((d) => (d.kind === 'merge' ? 0 : d.alerts.length))).toEqual([1, alerts.length - 1]);
  expect(state.outbox.every((d) => d.kind === 'merge' || d.bytes === undefined)).toBe(true);
});
