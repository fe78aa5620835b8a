/**
 * Start arguments of the incident router and of incidents, and what they carry through continue-as-new. In workflow
 * histories: fields are only added.
 */
import type { Alert } from '../../model/alert';
import type { IncidentRef } from '../../model/incident';
import type { IncidentView } from './messages';

export interface IncidentSettings {
  /** An alert joins an open incident whose last alert reached the router at most this long ago (VIGIL_INCIDENT_WINDOW). */
  window: string;
  /** Alert rows an incident keeps (newest); all are counted. */
  maxAlerts: number;
  /** Timeline rows an incident keeps (newest). */
  maxTimeline: number;
  /** Continue-as-new once history reaches this many events, even before the server suggests it. */
  maxHistoryEvents: number;
}

export const defaultIncidentSettings: IncidentSettings = { window: '1h', maxAlerts: 300, maxTimeline: 300, maxHistoryEvents: 3000 };

/** One incident as the router tracks it while it may still take alerts. */
export interface RoutedIncident {
  id: string;
  workflowId: string;
  /** Link keys (src/response/incident-links.ts) of every alert routed to it. */
  keys: string[];
  createdAt: number;
  lastAlertAt: number;
  /** The last alert ids routed to it (bounded): a retried routing answers the same. */
  alertIds: string[];
  alertCount: number;
  open: boolean;
  mergedInto?: string;
}

/** What the router still has to send, oldest first. */
export type RouterDelivery =
  /** `bytes`: the alerts' payload size bound (payloadSizeBound), kept while the delivery takes more alerts (absent in histories before the bound). */
  | { kind: 'start'; incident: IncidentRef; alerts: Alert[]; bytes?: number }
  | { kind: 'alerts'; incident: IncidentRef; alerts: Alert[]; bytes?: number }
  | { kind: 'merge'; incident: IncidentRef; into: IncidentRef };

export interface RouterInput {
  tenant: string;
  settings?: Partial<IncidentSettings>;
  /** Temporal Web UI base URL for incident links (default the dev server's UI). */
  uiBaseUrl?: string;
  carried?: { incidents: RoutedIncident[]; outbox: RouterDelivery[] };
}

/** The view's state (less what the input already names) and what only the workflow needs. */
export interface IncidentCarried extends Omit<IncidentView, 'tenant' | 'id' | 'workflowId'> {
  /** Ids of every rule that alerted in it (severity's rule count). */
  ruleIds: string[];
  resolvedAt?: number;
  /** Alerts received and not yet applied (their playbooks not yet started). */
  pending: Alert[];
  /** The newest alert applied, whole: it stands for the incident when a binding matches later (after a merge). */
  lastAlert?: Alert;
}

export interface IncidentInput {
  tenant: string;
  id: string;
  settings: IncidentSettings;
  uiBaseUrl?: string;
  /** The alerts that opened it (the router's first delivery). */
  alerts: Alert[];
  carried?: IncidentCarried;
}
