/**
 * Activities of the incident workflows and the correlator's incident routing, as the workflows proxy them. Names are
 * activity type names in histories and never change.
 */
import type { Alert } from '../../model/alert';
import type { IncidentRef } from '../../model/incident';
import type { ResponseBinding } from '../../response/binding-match';

export interface IncidentRoutingActivities {
  /**
   * Sends a new alert to its tenant's incident router (update-with-start on `incidents:{tenant}`) and returns the
   * incident it joined. A regular activity of the correlator, once per alert (never per detection).
   */
  routeAlertToIncident: (alert: Alert, uiBaseUrl: string) => Promise<IncidentRef>;
}

export interface IncidentActivities {
  /** rules/responses bindings with `on: incident` (local activity, once per incident run: recorded in history). */
  incidentBindings: () => Promise<ResponseBinding[]>;
}
