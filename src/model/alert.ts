/**
 * An alert as the correlator raises it and as playbooks, chat and the CLI show it. It carries what
 * an analyst needs without searching: the rule, the entity, the (bounded) matched events, group
 * values, first/last seen, the rule set version and where to look in the Temporal UI.
 */
import type { EntityRef } from './entity';
import type { RuleRef } from './detection';
import type { IncidentRef } from './incident';
import type { SourceKind } from './source';

export interface AlertEvent {
  id: string;
  time: number;
  source: SourceKind;
  fields: Record<string, string | number | boolean | null>;
}

export interface Alert {
  /** Deterministic: derived from correlator workflow id, rule id, group key and first-seen time. */
  id: string;
  kind: 'detection' | 'correlation' | 'absence';
  tenant: string;
  /** The entity that owns the finding (src/model/finding-owner.ts) and whose correlator raised the alert. */
  entity: EntityRef;
  /**
   * Every entity the finding names, each once, the owner (`entity`) first: a detection's entities, or for a
   * correlation its group-by entity and the entities its events name. Only the owner raises the alert; the others
   * record its risk and link to it (LinkedAlert).
   */
  entities: EntityRef[];
  rule: RuleRef;
  /** Group-by values of a correlation (empty for single detections). */
  group: Record<string, string>;
  /** Matched events, oldest first, at most `maxAlertEvents` of them. */
  events: AlertEvent[];
  /** How many events contributed, including any beyond the bound of `events`. */
  eventCount: number;
  firstSeen: number;
  lastSeen: number;
  /** Epoch ms (workflow time) at which the alert was raised. */
  raisedAt: number;
  rulesetVersion: string;
  correlatorWorkflowId: string;
  /** The correlator in the Temporal Web UI (`{uiBaseUrl}/namespaces/{ns}/workflows/{workflowId}`); set on every alert the correlator raises. */
  link?: string;
  /**
   * The incident the alert belongs to (workflows/incident): set by the correlator before the alert's playbooks start,
   * so every notice carries the incident's link. Absent on alerts raised before incidents existed, or when routing
   * failed (the alert still starts its playbooks).
   */
  incident?: IncidentRef;
  status: 'open' | 'true_positive' | 'false_positive' | 'closed';
  /**
   * Set on an alert a retro-hunt's hits raised (`vigil hunt --to-temporal`): the hunt's id. Such an alert is
   * recorded and shown, starts no playbook (so notifies nobody) and never suppresses a live alert.
   */
  huntId?: string;
  /**
   * A would-be alert of a shadow rule (RuleRef.shadow): recorded, counted in rule statistics and open to verdicts,
   * but never notified, never starting a playbook and never counted among the entity's open alerts.
   */
  shadow?: true;
}
