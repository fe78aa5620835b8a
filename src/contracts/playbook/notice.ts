/**
 * What a playbook tells people: one notice shape rendered by every channel (Slack Block Kit, Slack
 * incoming webhook, generic signed webhook). It carries the alert's context and the entity's live
 * risk and timeline read from its correlator, so an approver decides without searching.
 */
import type { Alert } from '../../model/alert';
import type { RuleRef } from '../../model/detection';
import type { EntityRef } from '../../model/entity';
import type { IncidentRef } from '../../model/incident';
import type { TimelineEntry } from '../correlator/messages';

/**
 * One alert a run covers, as approvers see it: the alert that started the run, then those attached to it because
 * they name the same (playbook, target) (see attachAlertSignal). Enough to recognise it and to send a verdict to its
 * correlator.
 */
export interface CoveredAlert {
  id: string;
  rule: Pick<RuleRef, 'id' | 'title' | 'level'>;
  entity: EntityRef;
  correlatorWorkflowId: string;
  raisedAt: number;
  /** Epoch ms (workflow time) at which the run took it on; the start time for the alert that started the run. */
  coveredAt: number;
  /** The incident the alert belongs to (absent when routing did not assign one). */
  incident?: IncidentRef;
}

export interface EntitySnapshot {
  riskScore: number;
  alertCount: number;
  /** Newest last, bounded. */
  timeline: TimelineEntry[];
  /** Earlier runs of the same playbook on this entity that applied containment (repeat offender count). */
  priorContainments: number;
}

export type NoticeKind = 'approval_request' | 'escalation' | 'decided' | 'contained' | 'reverted' | 'outcome';

export interface PlaybookNotice {
  kind: NoticeKind;
  workflowId: string;
  playbook: string;
  alert: Alert;
  /** Every alert the run covers, the starting one first (more than one when alerts were attached). */
  alerts: CoveredAlert[];
  /** One line saying what happened or what is asked. */
  text: string;
  entity?: EntitySnapshot;
  /** For approval requests and escalations: who is asked and until when (epoch ms). */
  asked?: { groups: string[]; mentions: string[]; approvalsNeeded: number; until: number };
}
