/**
 * The activities the playbook workflow calls, as it proxies them. The worker registers implementations
 * (activities/index.ts createActivities) under these names; the names are activity type names in histories and
 * never change (containment activities take theirs from the action records, src/response/actions/registry.ts).
 * Property signatures, not methods: the workflow passes proxied activities around unbound.
 */
import type { ApplyActivityName, UndoActivityName } from '../../response/actions/registry';
import type { ContainmentRequest, ContainmentResult, UndoStep } from '../../response/containment';
import type { EntitySnapshot, PlaybookNotice } from './notice';

export interface UserConfirmationRequest {
  /** The affected user's identity as the alert names it (identity name or any alias in rules/responses). */
  user: string;
  workflowId: string;
  question: string;
}

export interface TicketRequest {
  title: string;
  body: string;
  alertId: string;
  workflowId: string;
  severity: string;
}

/** Another running playbook of `tenant` holding `target`, other than the asking run. */
export interface ContainmentHolderRequest {
  tenant: string;
  target: string;
  excludeWorkflowId: string;
}

type ApplyActivity = (request: ContainmentRequest, dryRun: boolean) => Promise<ContainmentResult>;
type RevertActivity = (undo: UndoStep, dryRun: boolean) => Promise<string>;
/** One apply activity per containment action and one revert activity per reversible one. */
export type ContainmentActivities = Record<ApplyActivityName, ApplyActivity> & Record<UndoActivityName, RevertActivity>;

export interface PlaybookActivities extends ContainmentActivities {
  /** The entity's live risk and timeline from its correlator; undefined when it is gone or unreachable. */
  readEntityState: (correlatorWorkflowId: string, playbook: string) => Promise<EntitySnapshot | undefined>;
  /** The workflow id of another running playbook that still holds the target, if any (it inherits the undo). */
  findContainmentHolder: (request: ContainmentHolderRequest) => Promise<string | undefined>;
  notifyWebhook: (notice: PlaybookNotice, dryRun: boolean) => Promise<string>;
  notifySlack: (notice: PlaybookNotice, dryRun: boolean) => Promise<string>;
  notifySlackWebhook: (notice: PlaybookNotice, dryRun: boolean) => Promise<string>;
  /** Returns the person's identity too: chatops answers in that name, which may differ from the alert's spelling. */
  askUserToConfirm: (request: UserConfirmationRequest, dryRun: boolean) => Promise<{ summary: string; identity: string }>;
  openTicket: (ticket: TicketRequest, dryRun: boolean) => Promise<string>;
}
