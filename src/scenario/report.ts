/**
 * The contract of `vigil scenario run --json`: exactly one JSON object on stdout, validated against this schema
 * before it is printed (and by the tests). Alerts, incidents and playbook runs reference each other by id.
 * Additive changes only: CI jobs and scripts parse this.
 */
import { z } from 'zod';
import { EntityRefSchema } from '../model/entity';

const LevelSchema = z.enum(['informational', 'low', 'medium', 'high', 'critical']);

export const ScenarioAlertSchema = z.strictObject({
  id: z.string().min(1),
  rule: z.strictObject({ id: z.string().min(1), title: z.string(), level: LevelSchema }),
  /** The entity that owns the alert (its correlator raised it). */
  entity: EntityRefSchema,
  /** Every entity the finding names, the owner first. */
  entities: z.array(EntityRefSchema).min(1),
  /** The incident the alert belongs to; null when it belongs to none. */
  incident: z.string().min(1).nullable(),
});

export const ScenarioIncidentSchema = z.strictObject({
  id: z.string().min(1),
  alerts: z.array(z.string().min(1)),
  entities: z.array(EntityRefSchema),
  severity: LevelSchema,
});

export const ScenarioPlaybookSchema = z.strictObject({
  workflowId: z.string().min(1),
  /** The playbook's name (rules/responses). */
  name: z.string().min(1),
  /** The containment target the run is keyed by (`k8s.pod:shop/web`...); null for a run per alert. */
  target: z.string().min(1).nullable(),
  /** The run's PlaybookState when the pipeline was quiet (e.g. awaiting_approval, completed). */
  state: z.string().min(1),
  /** The alerts the run decides on, the one that started it first. */
  alerts: z.array(z.string().min(1)).min(1),
});

export const ScenarioReportSchema = z.strictObject({
  alerts: z.array(ScenarioAlertSchema),
  incidents: z.array(ScenarioIncidentSchema),
  playbooks: z.array(ScenarioPlaybookSchema),
});

export type ScenarioAlert = z.infer<typeof ScenarioAlertSchema>;
export type ScenarioIncident = z.infer<typeof ScenarioIncidentSchema>;
export type ScenarioPlaybook = z.infer<typeof ScenarioPlaybookSchema>;
export type ScenarioReport = z.infer<typeof ScenarioReportSchema>;
