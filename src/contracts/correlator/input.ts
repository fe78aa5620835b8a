/**
 * The correlator workflow's start argument and the state it carries through continue-as-new. Senders (the ingest
 * router's signal-with-start, tests) and the workflow share these shapes; they are in workflow histories, so fields
 * are only added.
 */
import type { CorrelationState } from '../../correlation/state';
import type { Alert } from '../../model/alert';
import type { Detection, RuleRef } from '../../model/detection';
import type { EntityRef } from '../../model/entity';
import type { PlaybookReport } from '../../model/playbook';
import type { RuleStatsRecord } from '../rule-stats/messages';
import type { AnalystAction, DetectionBatch, LinkedAlert, RuleSuppression, RuleVerdictCounts, TimelineEntry } from './messages';

export interface CorrelatorSettings {
  /** Complete after this long with no new detections and no open alerts. */
  quietPeriod: string;
  /** Entries kept in the timeline (oldest dropped first, counted). */
  maxTimeline: number;
  /** No second alert for the same rule and group within this period. */
  suppressFor: string;
  /** Risk halves over this period of workflow time. */
  riskHalfLife: string;
  /** Continue-as-new once history reaches this many events, even before the server suggests it. */
  maxHistoryEvents: number;
  /** How far behind the newest event time a detection may arrive and still count in correlation windows. */
  allowedLateness: string;
}

export interface CorrelatorInput {
  tenant: string;
  entity: EntityRef;
  settings?: Partial<CorrelatorSettings>;
  /** Temporal Web UI base URL for alert links (default `http://localhost:8233`, the dev server's UI). */
  uiBaseUrl?: string;
  /** Set only by continue-as-new. */
  carried?: CarriedState;
}

/**
 * What a correlator run hands to the next through continue-as-new (EntityState.toCarried, workflows/correlator). It
 * lives in histories: fields are only ever added (an older run's state lacks them; carriedOrEmpty fills them in).
 */
export interface CarriedState {
  version: 1;
  riskScore: number;
  riskUpdatedAt: number;
  timeline: TimelineEntry[];
  timelineDropped: number;
  eventCount: number;
  /**
   * seenBatches, seenEvents and the keys of suppressedUntil are fingerprints (workflows/correlator/fingerprint.ts) of the batch id,
   * the (event id, rule id) pair and the (rule id, group) pair: 16 chars each however long the ids are.
   */
  seenBatches: string[];
  seenEvents: string[];
  alerts: Alert[];
  alertCount: number;
  /** Findings owned by other entities that named this one, the last MAX_LINKED_ALERTS; absent in older runs. */
  linkedAlerts?: LinkedAlert[];
  /** Open alerts closed to keep at most MAX_OPEN_ALERTS open (workflows/correlator/entity-state.ts) (an alert storm nobody triages). */
  overflowClosedAlerts: number;
  suppressedUntil: Record<string, number>;
  playbooks: PlaybookReport[];
  rulesetVersion: string;
  /** Batches received and not yet applied, oldest first; the head one may be partly applied (those detections removed). */
  pending: DetectionBatch[];
  lastActivity: number;
  /** The correlation core's windows (src/correlation), keyed by correlation rule id. */
  correlation: CorrelationState;
  recent: Detection[];
  /** Detections that arrived behind the watermark: reported, not counted in windows. */
  lateCount: number;
  /** Signalled detections dropped as malformed or of another tenant (batch-check.ts); absent in older runs. */
  rejectedCount?: number;
  /** Analyst suppressions by rule id; expired ones are pruned by `EntityState.pruneSuppressions`. */
  suppressions: Record<string, RuleSuppression>;
  suppressedAlerts: number;
  /** Verdict counts by rule id; kept when the rule's alerts are trimmed, so precision covers every verdict. */
  ruleVerdicts: Record<string, RuleVerdictCounts>;
  analystActions: AnalystAction[];
  /** Rules that matched here or that this entity evaluates, by id: what a suppression may name. */
  knownRules: Record<string, KnownRule>;
  /** Alert and verdict records not yet handed to the tenant's rule statistics workflow; absent in older runs. */
  statsOutbox?: RuleStatsRecord[];
  /** Playbook runs this entity's alerts started or were attached to, newest last (the entity card links them); absent in older runs. */
  startedPlaybooks?: StartedPlaybook[];
}

export interface StartedPlaybook {
  workflowId: string;
  playbook: string;
  alertId: string;
}

export type KnownRule = Pick<RuleRef, 'id' | 'name' | 'title'>;
