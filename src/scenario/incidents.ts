/**
 * The incidents a scenario run's alerts belong to. Each alert names its incident (`alert.incident`, set by its
 * correlator when the tenant's router assigned it); an incident merged into another one (their entities turned out
 * to be linked) points on to the survivor, so every alert is reported in the incident that holds it now. Incidents
 * are read through their state query (strongly consistent, unlike the search attributes).
 */
import type { Client } from '@temporalio/client';
import { incidentStateQuery, type IncidentView } from '../contracts/incident/messages';
import type { Alert } from '../model/alert';
import type { ScenarioIncident } from './report';

/** Merges chain at most this deep in practice (one per pair of linked entities); a longer chain is a cycle. */
const MAX_MERGE_HOPS = 32;

export interface CollectedIncidents {
  /** Each incident holding any of the alerts, in the order of its first alert; `alerts` lists only those alerts. */
  incidents: ScenarioIncident[];
  /** Alert id → the id of the incident holding it; alerts no incident holds are absent. */
  incidentOf: Map<string, string>;
}

export async function collectIncidents(client: Client, alerts: readonly Alert[]): Promise<CollectedIncidents> {
  const views = new Map<string, Promise<IncidentView>>();
  const view = (workflowId: string): Promise<IncidentView> => {
    let pending = views.get(workflowId);
    if (pending === undefined) {
      pending = client.workflow.getHandle(workflowId).query(incidentStateQuery);
      views.set(workflowId, pending);
    }
    return pending;
  };
  const survivor = async (workflowId: string): Promise<IncidentView> => {
    let current = await view(workflowId);
    for (let hops = 0; current.mergedInto !== undefined; hops++) {
      if (hops >= MAX_MERGE_HOPS) throw new Error(`incident ${workflowId}: merged more than ${MAX_MERGE_HOPS} times (a merge cycle)`);
      current = await view(current.mergedInto.workflowId);
    }
    return current;
  };

  const byId = new Map<string, ScenarioIncident>();
  const incidentOf = new Map<string, string>();
  for (const alert of alerts) {
    if (alert.incident === undefined) continue;
    const holder = await survivor(alert.incident.workflowId);
    let incident = byId.get(holder.id);
    if (incident === undefined) {
      incident = { id: holder.id, alerts: [], entities: holder.entities, severity: holder.severity };
      byId.set(holder.id, incident);
    }
    incident.alerts.push(alert.id);
    incidentOf.set(alert.id, holder.id);
  }
  return { incidents: [...byId.values()], incidentOf };
}
