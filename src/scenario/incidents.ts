/**
 * The incidents a scenario run produced. Incident workflows (`incident:{tenant}:{id}`, issue 11 item 2) are not in
 * this build yet, so this reports that incidents are not supported, with none: every alert's `incident` is null and
 * expectations on incident counts are skipped, saying so. To wire incidents in, this is the one place to change: list
 * the tenant's incident workflows that hold any of `alertIds` and return them with `supported: true`.
 */
import type { Client } from '@temporalio/client';
import type { ScenarioIncident } from './report';

export interface CollectedIncidents {
  /** False while incident workflows do not exist in this build: incident checks are skipped. */
  supported: boolean;
  incidents: ScenarioIncident[];
}

export function collectIncidents(_client: Client, _tenant: string, _alertIds: ReadonlySet<string>): Promise<CollectedIncidents> {
  return Promise.resolve({ supported: false, incidents: [] });
}
