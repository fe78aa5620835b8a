/**
 * Every message a playbook run accepts, defined once and imported by the workflow, chatops, the CLI, the HTTP API,
 * activities and tests. Wire names equal the constant's stem and never change: they are in workflow histories. Senders who need to know whether their decision counted
 * use `decideUpdate` (its validator refuses unauthorized, self and duplicate decisions before anything is
 * written to history); the signals are fire-and-forget and a refused one is recorded in `refused`.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ErrorCode } from '../../error-codes';
import type { Alert } from '../../model/alert';
import type { Decision } from '../../model/playbook';
import type { UndoStep } from '../../response/containment';
import type { CoveredAlert, EntitySnapshot } from './notice';

export type DecisionChannel = Exclude<Decision['via'], 'default'>;

export interface DecisionRequest {
  /** Approver identity (chat users are mapped to identities by chatops before sending). */
  by: string;
  /** Who physically acted, when the channel knows more than the identity: the OS user for `via: cli`. */
  actor?: string;
  reason?: string;
  via: DecisionChannel;
}

export interface DecideInput extends DecisionRequest {
  decision: Decision['decision'];
}

/** A decision the playbook refused, kept in the status and memo so refusals are auditable too. */
export interface RefusedDecision extends DecideInput {
  at: number;
  code: ErrorCode;
  refusal: string;
}

/** The PlaybookState search attribute's values, in the order a run passes through them. */
export type PlaybookStateValue =
  | 'running'
  | 'awaiting_user'
  | 'awaiting_approval'
  | 'escalated'
  | 'containing'
  | 'contained'
  | 'reverting'
  | 'completed'
  | 'denied'
  | 'timed_out'
  | 'failed';

export interface PlaybookStatus {
  workflowId: string;
  alertId: string;
  /** The correlator that started the run (chatops sends false-positive verdicts there). */
  correlatorWorkflowId: string;
  playbook: string;
  state: PlaybookStateValue;
  /** The alerts this run decides on, the starting one (alertId) first; later ones were attached (attachAlertSignal). */
  alerts: CoveredAlert[];
  /** Groups whose members may decide now (grows on escalation). */
  askedGroups: string[];
  approvalsNeeded: number;
  decisions: Decision[];
  refused: RefusedDecision[];
  actions: string[];
  /** The entity's risk and latest timeline as last read from its correlator (for approvers). */
  entity?: EntitySnapshot;
  /** Containment targets this run currently holds (see containmentTarget); empty once reverted. */
  holds: string[];
  /** Epoch ms at which the current wait (approval, user answer or containment TTL) ends, if waiting. */
  waitUntil?: number;
}

export const approveSignal = defineSignal<[DecisionRequest]>('approve');
export const denySignal = defineSignal<[DecisionRequest]>('deny');
export const decideUpdate = defineUpdate<PlaybookStatus, [DecideInput]>('decide');
export const playbookStatusQuery = defineQuery<PlaybookStatus>('playbookStatus');

/** The affected user's answer to "did you just do this?". */
export interface UserResponse {
  answer: 'confirmed' | 'not_me';
  by: string;
  via: DecisionChannel;
}
export const userResponseSignal = defineSignal<[UserResponse]>('userResponse');

/** An analyst's word on an active containment: keep it past its TTL, or release it now. */
export interface ContainmentCommand {
  command: 'keep' | 'release';
  by: string;
  /** As DecisionRequest.actor. */
  actor?: string;
  reason?: string;
  via: DecisionChannel;
}
export const containmentSignal = defineSignal<[ContainmentCommand]>('containment');

/**
 * Sent by a run whose containment ends while this run still holds the same target: this run takes over
 * the undo and applies it when its own containment ends (so the last holder reverts, never the first).
 */
export const inheritUndoSignal = defineSignal<[{ undo: UndoStep; from: string }]>('inheritUndo');

/**
 * Sent by a correlator whose alert binds a playbook for a target that already has a run of that playbook (the run's
 * workflow id is derived from tenant, playbook and target: src/temporal/workflow-ids.ts). The run covers the alert
 * with the decision it is waiting for or has applied, so the target gets one approval request. Idempotent by alert
 * id: a repeated or replayed signal attaches nothing. An alert that arrives after the run stopped acting on the
 * target (denied, confirmed by the user, released) is not covered: the run continues as new for it, which asks again.
 */
export const attachAlertSignal = defineSignal<[Alert]>('attachAlert');
