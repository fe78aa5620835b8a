/**
 * The playbook workflow's start argument: the correlator starts one playbook child per (alert, playbook binding). It
 * is in workflow histories, so fields are only added.
 */
import type { Alert } from '../../model/alert';
import type { PlaybookBinding } from '../../model/playbook';

export interface PlaybookInput {
  alert: Alert;
  binding: PlaybookBinding;
  /** The correlator to report back to (signalled by workflow id, so it reaches the latest run). */
  correlatorWorkflowId: string;
}
