/**
 * Incidents: related alerts grouped into one investigation (workflows/incident). The vocabulary every layer shares:
 * the reference an alert carries, the status an analyst moves, the verdict that closes it.
 */

/** Where an alert's incident lives: its id, its workflow (`incident:{tenant}:{id}`) and that workflow in the Temporal UI. */
export interface IncidentRef {
  id: string;
  workflowId: string;
  link: string;
}

/** `merged`: another incident took its alerts over (two incidents found to concern linked entities). */
export const incidentStatuses = ['open', 'acknowledged', 'resolved', 'merged'] as const;
export type IncidentStatus = (typeof incidentStatuses)[number];

export const incidentVerdicts = ['true_positive', 'false_positive', 'benign'] as const;
export type IncidentVerdict = (typeof incidentVerdicts)[number];
