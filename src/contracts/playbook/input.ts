/**
 * The playbook workflow's start argument: the correlator starts one playbook child per (alert, playbook binding), or
 * per (playbook, target) when the binding's containment names one (workflows/correlator/playbook-start.ts). It is in
 * workflow histories, so fields are only added.
 */
import type { Alert } from '../../model/alert';
import type { PlaybookBinding } from '../../model/playbook';

export interface PlaybookInput {
  alert: Alert;
  binding: PlaybookBinding;
  /** The correlator to report back to (signalled by workflow id, so it reaches the latest run). */
  correlatorWorkflowId: string;
  /** Alerts for the same target to cover from the start: set only by continue-as-new (alerts that arrived too late for the previous run). */
  attached?: Alert[];
}
