/**
 * The per-tenant rule statistics workflow (`rule-stats:{tenant}`, workflows/rule-stats): what correlators send it
 * (through the recordRuleStats activity's signal-with-start) and what the CLI asks it. Cheap by design: one record
 * per alert raised and per verdict set, never per detection. Wire names never change (they are in histories).
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** An alert a correlator raised (a shadow rule's would-be alert included). */
export interface RuleAlertRecord {
  kind: 'alert';
  alertId: string;
  ruleId: string;
  title: string;
  shadow: boolean;
  correlatorWorkflowId: string;
  /** Workflow time (epoch ms) at which the alert was raised. */
  at: number;
}

/** An analyst verdict on an alert; `previous` is the alert's status before it (a changed verdict moves the count). */
export interface RuleVerdictRecord {
  kind: 'verdict';
  alertId: string;
  ruleId: string;
  title: string;
  verdict: 'true_positive' | 'false_positive';
  previous: 'open' | 'true_positive' | 'false_positive' | 'closed';
  correlatorWorkflowId: string;
  at: number;
}

export type RuleStatsRecord = RuleAlertRecord | RuleVerdictRecord;

/** Records in the order the correlator produced them; redelivery is harmless (alerts by id, verdicts by state). */
export interface RuleStatsBatch {
  records: RuleStatsRecord[];
}
export const ruleStatsSignal = defineSignal<[RuleStatsBatch]>('ruleStats');

export interface RuleStatsRow {
  ruleId: string;
  title: string;
  /** Alerts raised while the rule was live. */
  alerts: number;
  /** Would-be alerts raised while the rule was a shadow rule. */
  shadowAlerts: number;
  /** Current verdicts: an alert whose verdict changed counts once, under its latest verdict. */
  truePositives: number;
  falsePositives: number;
  /** Whether the rule's latest alert was a shadow one. */
  shadow: boolean;
  lastAlertAt: number;
}

export interface RuleStatsView {
  tenant: string;
  rules: RuleStatsRow[];
}
export const ruleStatsQuery = defineQuery<RuleStatsView>('ruleStats');

/** Where an alert lives: its correlator (to query its events) and rule. Known for the last MAX_ALERTS alerts. */
export interface AlertLocation {
  alertId: string;
  ruleId: string;
  correlatorWorkflowId: string;
}
export const alertLocationQuery = defineQuery<AlertLocation | undefined, [string]>('alertLocation');
