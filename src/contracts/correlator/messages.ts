/**
 * Every message the correlator workflow accepts, defined once and imported by the workflow and every sender (ingest
 * router, playbooks, activities, chatops, CLI, tests). Wire names equal the constant's stem and never change: they
 * are in workflow histories. defineSignal/defineQuery/defineUpdate only build plain descriptors, so importing them
 * outside a workflow is safe.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Alert } from '../../model/alert';
import type { Detection, RuleRef } from '../../model/detection';
import type { EntityRef } from '../../model/entity';
import type { PlaybookReport } from '../../model/playbook';

/** A batch of detections for one entity; `batchId` makes redelivery harmless. */
export interface DetectionBatch {
  batchId: string;
  detections: Detection[];
}

export const detectionBatchSignal = defineSignal<[DetectionBatch]>('detectionBatch');
export const playbookReportSignal = defineSignal<[PlaybookReport]>('playbookReport');

export interface TimelineEntry {
  time: number;
  eventId: string;
  source: Detection['source'];
  rules: string[];
  /** The titles in `rules` that are shadow rules (their matches raise would-be alerts only); absent when none. */
  shadowRules?: string[];
  summary: string;
  /** Set on a retro-hunt's row (`vigil hunt --to-temporal`): the hunt that found it. Absent on live rows. */
  huntId?: string;
  /** The alerts this event raised in the correlator of the entity that owns them (absent when none, or when this entity owns them). */
  linkedAlerts?: LinkedAlertRef[];
}

/** Where an alert lives: its id and the correlator that owns it (`entity:{tenant}:{type}:{id}`). */
export interface LinkedAlertRef {
  alertId: string;
  correlatorWorkflowId: string;
}

/**
 * A finding this entity takes part in but does not own (src/model/finding-owner.ts): the owner's correlator raised
 * the alert (id derived as it derives it), this one recorded the risk. The alert's status lives with the owner. A
 * repeat of the finding (same rule, same entities) within `suppressFor` links to the first, as the owner raises no
 * second alert for it. If the owner did not raise it for another reason (an analyst suppressed the rule there, or the
 * two correlators' clocks straddle the end of the period) no alert of that id exists and the owner's timeline holds
 * the event.
 */
export interface LinkedAlert extends LinkedAlertRef {
  owner: EntityRef;
  /** Every entity the finding names, the owner first (the alert's `entities`). */
  entities: EntityRef[];
  rule: RuleRef;
  eventId: string;
  /** Event time, epoch ms. */
  time: number;
  /** The owner's correlator in the Temporal Web UI. */
  link: string;
}

export interface EntityStateView {
  tenant: string;
  entity: EntityRef;
  riskScore: number;
  openAlerts: Alert[];
  alertCount: number;
  /** Would-be alerts of shadow rules still kept (they share the bound of closed alerts), oldest first. */
  shadowAlerts: Alert[];
  /** The last findings owned by another entity that named this one, oldest first (not counted in alertCount). */
  linkedAlerts: LinkedAlert[];
  eventCount: number;
  /**
   * Signalled detections not applied yet (a burst is applied in bounded slices, one workflow task each, with a 1 ms
   * timer between them: no pending task or activity shows then, but the correlator is not done).
   */
  queuedDetections: number;
  timeline: TimelineEntry[];
  playbooks: PlaybookReport[];
  rulesetVersion: string;
  /** Detections that arrived later than the allowed lateness: kept in the timeline, not in windows. */
  lateEvents: number;
  /** Signalled detections dropped by the correlator as malformed or of another tenant (never applied). */
  rejectedDetections: number;
  /** Analyst suppressions still in force, by rule id. */
  suppressions: Record<string, RuleSuppression>;
  /** Alerts of suppressed rules that were not raised (since the workflow first started). */
  suppressedAlerts: number;
  /** Open alerts closed because more than the bound (200) were open at once. */
  overflowClosedAlerts: number;
  /** Analyst verdicts per rule id (current verdict of each alert): precision = truePositives / (truePositives + falsePositives). */
  ruleVerdicts: Record<string, RuleVerdictCounts>;
  /** The last analyst updates (verdict, suppress, reset), oldest first: who did what, when. */
  analystActions: AnalystAction[];
}

export const entityStateQuery = defineQuery<EntityStateView>('entityState');
export const timelineQuery = defineQuery<TimelineEntry[]>('timeline');
/** One alert still kept by the correlator (open, closed, judged or would-be), by id; undefined when it is not. */
export const alertQuery = defineQuery<Alert | undefined, [string]>('alert');

export interface VerdictInput {
  alertId: string;
  verdict: 'true_positive' | 'false_positive';
  by: string;
  note?: string;
}
export const verdictUpdate = defineUpdate<Alert, [VerdictInput]>('verdict');

export interface RuleVerdictCounts {
  title: string;
  truePositives: number;
  falsePositives: number;
}

/** Stop alerts of one rule (by id or name) on this entity for a while; detections still count in risk and windows. */
export interface SuppressInput {
  rule: string;
  /** A duration such as 30m, 4h, 7d. */
  for: string;
  by: string;
  reason: string;
}

export interface RuleSuppression {
  ruleId: string;
  title: string;
  /** Workflow time (epoch ms) until which alerts of the rule are not raised. */
  until: number;
  by: string;
  reason: string;
  at: number;
}
export const suppressUpdate = defineUpdate<RuleSuppression, [SuppressInput]>('suppress');

/**
 * Start over on this entity after an investigation: risk to 0, correlation windows emptied, open alerts
 * closed. The timeline, verdict counts and analyst suppressions are kept.
 */
export interface ResetInput {
  by: string;
  reason?: string;
}

export interface ResetResult {
  closedAlertIds: string[];
  riskBefore: number;
}
export const resetUpdate = defineUpdate<ResetResult, [ResetInput]>('reset');

/** One analyst update as recorded in the state and (the last few) in the memo. */
export interface AnalystAction {
  kind: 'verdict' | 'suppress' | 'reset';
  by: string;
  at: number;
  /** What was done, in one line (e.g. `suppressed test_rule for 1h: known scanner`). */
  summary: string;
}
