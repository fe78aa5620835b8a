/**
 * The incident router's state: the tenant's incidents that may still take alerts, and what it still has to send.
 *
 * Grouping rule: an alert joins the open incident that shares one of its link keys (src/response/incident-links.ts)
 * and whose last alert reached the router at most `window` ago (workflow time: arrival, not event time, so a replayed
 * or late batch groups as it arrives). No such incident: a new one. Several: they concern linked entities, so they
 * are one incident: the oldest absorbs the others (each is told to hand its alerts over, `mergeInto`) and takes the
 * alert. An alert id routed before gets the same answer (a retried activity, a redelivered update).
 *
 * Invariants: deliveries leave in the order they were decided, one at a time, so an incident is started before any
 * alert or merge is sent to it; the state stays bounded (incidents older than the window are dropped, at most
 * MAX_KEYS keys and MAX_ALERT_IDS alert ids per incident).
 */
import type { Alert } from '../../src/model/alert';
import type { IncidentRef } from '../../src/model/incident';
import type { RoutedIncident, RouterDelivery, RouterInput } from '../../src/contracts/incident/input';
import type { RouterIncidentView } from '../../src/contracts/incident/messages';
import { correlatorLink } from '../../src/contracts/correlator/ui-link';
import { linkKeys } from '../../src/response/incident-links';
import { payloadSizeBound } from '../../src/temporal/payload-size';
import { incidentWorkflowId } from '../../src/temporal/workflow-ids';
import { fingerprint } from '../correlator/fingerprint';

const MAX_KEYS = 500;
const MAX_ALERT_IDS = 200;
/**
 * A delivery (one start or signal) takes at most this many alerts and bytes of them: alerts arriving while a send is
 * in flight pile up in the next delivery, and one over Temporal's 2 MiB payload limit would fail the router's workflow
 * task on every retry, wedging routing for the whole tenant. The byte bound leaves room for the rest of the payload.
 */
export const MAX_DELIVERY_ALERTS = 100;
export const MAX_DELIVERY_BYTES = 1024 * 1024;

/**
 * `patched()` id of bounded deliveries: router histories written before the bound merged every waiting alert of an
 * incident into one delivery; replaying them must merge the same way.
 */
export const ROUTER_DELIVERY_BOUND_PATCH = 'vigil-router-delivery-bound';

export class RouterState {
  private readonly incidents: RoutedIncident[];
  readonly outbox: RouterDelivery[];
  /** The head delivery is being sent: nothing is added to it any more. */
  sending = false;

  constructor(
    private readonly tenant: string,
    private readonly windowMs: number,
    private readonly uiBaseUrl: string,
    private readonly namespace: string,
    carried: RouterInput['carried'],
    /** Deliveries are bounded (MAX_DELIVERY_*): false only when replaying a history from before the bound. */
    private readonly boundedDeliveries = true,
  ) {
    this.incidents = carried?.incidents ?? [];
    this.outbox = carried?.outbox ?? [];
  }

  private refOf(incident: RoutedIncident): IncidentRef {
    return { id: incident.id, workflowId: incident.workflowId, link: correlatorLink(this.uiBaseUrl, this.namespace, incident.workflowId) };
  }

  private byId(id: string): RoutedIncident | undefined {
    return this.incidents.find((i) => i.id === id);
  }

  /** The incident an alert id was routed to (following merges), if the router still remembers it. */
  private routedBefore(alertId: string): RoutedIncident | undefined {
    let incident = this.incidents.find((i) => i.alertIds.includes(alertId));
    for (let hops = 0; incident?.mergedInto !== undefined && hops < this.incidents.length; hops++) incident = this.byId(incident.mergedInto);
    return incident;
  }

  route(alert: Alert, now: number): IncidentRef {
    const before = this.routedBefore(alert.id);
    if (before) return this.refOf(before);
    const keys = linkKeys(alert);
    const matches = this.incidents
      .filter((i) => i.open && i.lastAlertAt + this.windowMs >= now && i.keys.some((k) => keys.includes(k)))
      .sort((a, b) => a.createdAt - b.createdAt);
    const routed = { ...alert };
    if (matches.length === 0) {
      const id = `inc-${fingerprint([this.tenant, alert.id])}`;
      const incident: RoutedIncident = { id, workflowId: incidentWorkflowId(this.tenant, id), keys, createdAt: now, lastAlertAt: now, alertIds: [alert.id], alertCount: 1, open: true };
      this.incidents.push(incident);
      routed.incident = this.refOf(incident);
      this.outbox.push({ kind: 'start', incident: routed.incident, alerts: [routed], ...(this.boundedDeliveries ? { bytes: payloadSizeBound(routed) } : {}) });
      return routed.incident;
    }
    const [survivor, ...absorbed] = matches as [RoutedIncident, ...RoutedIncident[]];
    const ref = this.refOf(survivor);
    for (const other of absorbed) {
      other.open = false;
      other.mergedInto = survivor.id;
      this.addKeys(survivor, other.keys);
      survivor.alertCount += other.alertCount;
      this.outbox.push({ kind: 'merge', incident: this.refOf(other), into: ref });
    }
    this.addKeys(survivor, keys);
    survivor.lastAlertAt = now;
    survivor.alertIds.push(alert.id);
    if (survivor.alertIds.length > MAX_ALERT_IDS) survivor.alertIds.shift();
    survivor.alertCount += 1;
    routed.incident = ref;
    this.deliverAlert(ref, routed);
    return ref;
  }

  /** Adds the alert to a waiting delivery for the same incident, so a burst becomes one signal (within the bounds). */
  private deliverAlert(ref: IncidentRef, alert: Alert): void {
    const bytes = this.boundedDeliveries ? payloadSizeBound(alert) : 0;
    const last = this.outbox[this.outbox.length - 1];
    const free = last !== undefined && !(this.sending && this.outbox.length === 1);
    if (free && last.kind !== 'merge' && last.incident.id === ref.id && this.fits(last, bytes)) {
      last.alerts.push(alert);
      if (this.boundedDeliveries) last.bytes = (last.bytes ?? 0) + bytes;
    } else this.outbox.push({ kind: 'alerts', incident: ref, alerts: [alert], ...(this.boundedDeliveries ? { bytes } : {}) });
  }

  /** Whether a waiting delivery can take one more alert of `bytes` (always, in a history from before the bound). */
  private fits(delivery: { alerts: Alert[]; bytes?: number }, bytes: number): boolean {
    if (!this.boundedDeliveries) return true;
    // A delivery carried from before the bound has no size yet: counted once, here.
    delivery.bytes ??= delivery.alerts.reduce((sum, a) => sum + payloadSizeBound(a), 0);
    return delivery.alerts.length < MAX_DELIVERY_ALERTS && delivery.bytes + bytes <= MAX_DELIVERY_BYTES;
  }

  private addKeys(incident: RoutedIncident, keys: readonly string[]): void {
    for (const key of keys) if (!incident.keys.includes(key)) incident.keys.push(key);
    if (incident.keys.length > MAX_KEYS) incident.keys.splice(0, incident.keys.length - MAX_KEYS);
  }

  /** The incident takes no more alerts (resolved): the next related alert opens a new one. */
  close(incidentId: string): void {
    const incident = this.byId(incidentId);
    if (incident) incident.open = false;
  }

  /** Forgets incidents whose window has passed (merged ones with them: nothing routes to them any more). */
  expire(now: number): void {
    for (let i = this.incidents.length - 1; i >= 0; i--) if (this.incidents[i]!.lastAlertAt + this.windowMs < now) this.incidents.splice(i, 1);
  }

  /** When the next incident leaves the window; undefined when the router tracks none. */
  nextExpiry(): number | undefined {
    if (this.incidents.length === 0) return undefined;
    return Math.min(...this.incidents.map((i) => i.lastAlertAt)) + this.windowMs + 1;
  }

  carried(): NonNullable<RouterInput['carried']> {
    return { incidents: this.incidents, outbox: this.outbox };
  }

  view(): RouterIncidentView[] {
    return this.incidents.map((i) => ({
      id: i.id,
      workflowId: i.workflowId,
      entities: i.keys,
      lastAlertAt: i.lastAlertAt,
      alerts: i.alertCount,
      open: i.open,
      ...(i.mergedInto !== undefined ? { mergedInto: i.mergedInto } : {}),
    }));
  }
}
