/**
 * What a playbook tells people: one notice shape rendered by every channel (Slack Block Kit, Slack
 * incoming webhook, generic signed webhook). It carries the alert's context and the entity's live
 * risk and timeline read from its correlator, so an approver decides without searching.
 */
import type { Alert } from '../../model/alert';
import type { TimelineEntry } from '../correlator/messages';

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
  /** One line saying what happened or what is asked. */
  text: string;
  entity?: EntitySnapshot;
  /** For approval requests and escalations: who is asked and until when (epoch ms). */
  asked?: { groups: string[]; mentions: string[]; approvalsNeeded: number; until: number };
}
