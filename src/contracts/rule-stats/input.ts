/** The rule statistics workflow's start argument and the state it carries through continue-as-new (fields only added). */
import type { RuleStatsRow } from './messages';

/** One recent alert: its verdict so far, so a redelivered or changed verdict is counted right. */
export interface TrackedAlert {
  alertId: string;
  ruleId: string;
  correlatorWorkflowId: string;
  verdict?: 'true_positive' | 'false_positive';
}

export interface RuleStatsCarried {
  rows: Record<string, RuleStatsRow>;
  /** The last MAX_TRACKED_ALERTS alerts, oldest first. */
  alerts: TrackedAlert[];
}

export interface RuleStatsInput {
  tenant: string;
  carried?: RuleStatsCarried;
}
