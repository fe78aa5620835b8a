/**
 * Every message a playbook run accepts, defined once and imported by chatops, the CLI, the HTTP API and
 * tests. Wire names equal the constant's stem. Senders who need to know whether their decision counted
 * use `decideUpdate` (its validator refuses unauthorized, self and duplicate decisions before anything is
 * written to history); the signals are fire-and-forget and a refused one is recorded in `refused`.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ErrorCode } from '../../src/error-codes';
import type { Decision } from '../../src/model/playbook';
import type { EntitySnapshot } from '../../activities/notice';
import type { UndoStep } from '../../src/response/containment';

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
