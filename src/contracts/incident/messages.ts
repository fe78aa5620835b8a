/**
 * Every message of the incident router (`incidents:{tenant}`) and of incidents (`incident:{tenant}:{id}`), defined
 * once and imported by the workflows and every sender (the correlator's routing activity, the CLI, tests). Wire names
 * equal the constant's stem and never change: they are in workflow histories.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Alert } from '../../model/alert';
import type { RuleRef, RuleLevel } from '../../model/detection';
import type { EntityRef } from '../../model/entity';
import type { IncidentRef, IncidentStatus, IncidentVerdict } from '../../model/incident';
import type { SourceKind } from '../../model/source';

// ---- router ----

/**
 * Assigns an alert to an incident (a new one, or the open one whose entities it shares within the window) and
 * returns the incident. An update, not a signal: the correlator needs the answer before it starts the alert's
 * playbooks. Idempotent per alert id (a retried activity gets the same incident).
 */
export interface RouteAlertInput {
  alert: Alert;
}
export const routeAlertUpdate = defineUpdate<IncidentRef, [RouteAlertInput]>('routeAlert');

/**
 * routeAlert for a batch: the routing activity coalesces the alerts of concurrent calls into one update (the server
 * allows only ~10 in-flight updates per workflow), and each call takes its own alert's incident from the result, which
 * holds one incident per alert, in the alerts' order. The router applies the alerts in order, each as routeAlert would
 * (idempotent per alert id). routeAlert stays handled: histories and updates sent before batching still use it.
 */
export interface RouteAlertsInput {
  alerts: Alert[];
}
export const routeAlertsUpdate = defineUpdate<IncidentRef[], [RouteAlertsInput]>('routeAlerts');

/** An incident tells its router that it takes no more alerts (resolved); later related alerts open a new one. */
export const incidentClosedSignal = defineSignal<[{ incidentId: string }]>('incidentClosed');

export interface RouterIncidentView {
  id: string;
  workflowId: string;
  entities: string[];
  lastAlertAt: number;
  alerts: number;
  open: boolean;
  mergedInto?: string;
}
export const routerStateQuery = defineQuery<RouterIncidentView[]>('routerState');

// ---- incident ----

/** One alert as an incident keeps it: enough to list, filter and open it (the full alert stays in its correlator). */
export interface IncidentAlert {
  id: string;
  kind: Alert['kind'];
  rule: Pick<RuleRef, 'id' | 'name' | 'title' | 'level' | 'tags'>;
  entity: EntityRef;
  entities: EntityRef[];
  sources: SourceKind[];
  eventCount: number;
  firstSeen: number;
  lastSeen: number;
  raisedAt: number;
  correlatorWorkflowId: string;
  link?: string;
}

/** One row of the merged timeline: an event of one of the incident's alerts. */
export interface IncidentTimelineEntry {
  time: number;
  eventId: string;
  source: SourceKind;
  alertId: string;
  rule: string;
  entity: string;
}

/** New alerts of the incident (from its router). */
export const incidentAlertsSignal = defineSignal<[Alert[]]>('incidentAlerts');

/** The router found that this incident and `into` concern linked entities: hand everything over to `into` and close. */
export const mergeIntoSignal = defineSignal<[{ into: IncidentRef }]>('mergeInto');

/** What a merged incident hands over to the one that absorbs it. */
export interface MergedIncident {
  from: string;
  alerts: IncidentAlert[];
  timeline: IncidentTimelineEntry[];
  playbooks: string[];
  severity: RuleLevel;
}
export const mergedIncidentSignal = defineSignal<[MergedIncident]>('mergedIncident');

export interface IncidentAction {
  kind: 'acknowledge' | 'resolve' | 'merged';
  by: string;
  at: number;
  summary: string;
}

export interface IncidentView {
  tenant: string;
  id: string;
  workflowId: string;
  status: IncidentStatus;
  verdict?: IncidentVerdict;
  severity: RuleLevel;
  /** ATT&CK tactics seen, in kill-chain order. */
  tactics: string[];
  entities: EntityRef[];
  /** Newest last, at most the bound (maxAlerts); `alertCount` counts every alert. */
  alerts: IncidentAlert[];
  alertCount: number;
  /** Events of the alerts, oldest first, at most maxTimeline (the newest). */
  timeline: IncidentTimelineEntry[];
  /** Playbook runs the incident started (bindings with `on: incident`). */
  playbooks: string[];
  createdAt: number;
  updatedAt: number;
  mergedInto?: IncidentRef;
  /** Incidents merged into this one. */
  mergedFrom: string[];
  actions: IncidentAction[];
}
export const incidentStateQuery = defineQuery<IncidentView>('incidentState');

/** Who acts, as the surface authenticated them (CLI operator, chat user, API token), and why. */
export interface AcknowledgeIncidentInput {
  by: string;
  note?: string;
}
export const acknowledgeIncidentUpdate = defineUpdate<IncidentView, [AcknowledgeIncidentInput]>('acknowledge');

export interface ResolveIncidentInput {
  by: string;
  verdict: IncidentVerdict;
  note?: string;
}
export const resolveIncidentUpdate = defineUpdate<IncidentView, [ResolveIncidentInput]>('resolve');
