/**
 * Vigil's custom search attributes, registered on every start (`vigil dev`, tests) and set by the
 * correlator, playbook and incident workflows. The dev server's SQLite visibility allows at most 10 Keyword and 3
 * of each other type per namespace (shared/notes/temporal.md §7): this set uses 8 Keyword, 2 KeywordList
 * and 3 Int. Incidents reuse TenantId, RuleNames and AttackTechniques rather than spend more slots. Values are plaintext and bypass codecs: never put event payloads or PII beyond ids here.
 *
 * Investigator query: `WorkflowType = 'correlatorWorkflow' AND TenantId = 'acme' AND EntityType = 'host' AND RiskScore > 50`
 * Incidents: `WorkflowType = 'incidentWorkflow' AND TenantId = 'acme' AND IncidentStatus = 'open' AND IncidentSeverity IN ('high', 'critical')`
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const TenantId = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const EntityType = defineSearchAttributeKey('EntityType', SearchAttributeType.KEYWORD);
export const EntityId = defineSearchAttributeKey('EntityId', SearchAttributeType.KEYWORD);
export const RiskScore = defineSearchAttributeKey('RiskScore', SearchAttributeType.INT);
export const OpenAlerts = defineSearchAttributeKey('OpenAlerts', SearchAttributeType.INT);
/** Detections the correlator has counted (this entity's activity; also lets benchmarks see completion cheaply). */
export const EventCount = defineSearchAttributeKey('EventCount', SearchAttributeType.INT);
export const RuleNames = defineSearchAttributeKey('RuleNames', SearchAttributeType.KEYWORD_LIST);
export const AttackTechniques = defineSearchAttributeKey('AttackTechniques', SearchAttributeType.KEYWORD_LIST);
export const AlertId = defineSearchAttributeKey('AlertId', SearchAttributeType.KEYWORD);
export const RuleId = defineSearchAttributeKey('RuleId', SearchAttributeType.KEYWORD);
export const PlaybookState = defineSearchAttributeKey('PlaybookState', SearchAttributeType.KEYWORD);
/** An incident's status: open, acknowledged, resolved, merged. */
export const IncidentStatus = defineSearchAttributeKey('IncidentStatus', SearchAttributeType.KEYWORD);
/** An incident's severity (a Sigma level): it only rises (src/response/incident-evidence.ts). */
export const IncidentSeverity = defineSearchAttributeKey('IncidentSeverity', SearchAttributeType.KEYWORD);

export const vigilSearchAttributes = [
  TenantId,
  EntityType,
  EntityId,
  RiskScore,
  OpenAlerts,
  EventCount,
  RuleNames,
  AttackTechniques,
  AlertId,
  RuleId,
  PlaybookState,
  IncidentStatus,
  IncidentSeverity,
] as const;
