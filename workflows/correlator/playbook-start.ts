/**
 * How a correlator starts the playbook run one binding asks for its alert. A playbook whose containment names a target
 * in the alert (src/response/containment.ts runTarget: the pod, node, key or user it would act on) runs once per
 * (tenant, playbook, target): the first alert starts the run, any later alert for that target, from this or any other
 * correlator, is attached to the running one (attachAlertSignal) and shares its one approval. The run's id is free
 * again once it closed, so the next alert after that starts a new run (and asks again). Other playbooks (notices,
 * approval without containment) keep one run per (alert, playbook).
 *
 * Invariant: the same alert never starts or attaches twice: the child's id is deterministic, the run attaches by alert
 * id, and the start or signal is in this correlator's history, so replay sends nothing again.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { getExternalWorkflowHandle, log, ParentClosePolicy, startChild, type WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { PlaybookInput } from '../../src/contracts/playbook/input';
import { attachAlertSignal } from '../../src/contracts/playbook/messages';
import type { Alert } from '../../src/model/alert';
import { oneLine } from '../../src/model/markdown';
import type { PlaybookBinding } from '../../src/model/playbook';
import { runTarget } from '../../src/response/containment';
import type { PlaybookSpec } from '../../src/response/playbook-spec';
import { AlertId, PlaybookState, RuleId, TenantId } from '../../src/temporal/search-attributes';
import { playbookTargetWorkflowId, playbookWorkflowId } from '../../src/temporal/workflow-ids';
import { playbookWorkflow } from '../playbook/playbook';

/**
 * Histories written before runs were keyed by target started every run under its alert's id: they replay that way.
 * The correlator checks it once at the start of a run (see there why) and passes the answer as `perTarget`.
 */
export const PLAYBOOK_PER_TARGET_PATCH = 'vigil-playbook-per-target';

/** Start or attach attempts before falling back to a run of the alert's own (each retry means the run just closed). */
const maxAttempts = 2;

/** Starts or attaches to the alert's run of the binding's playbook; returns that run's workflow id. */
export async function startPlaybookRun(alert: Alert, binding: PlaybookBinding, correlatorWorkflowId: string, perTarget: boolean): Promise<string> {
  const input: PlaybookInput = { alert, binding, correlatorWorkflowId };
  const perAlert = playbookWorkflowId(alert.id, binding.playbook);
  // Validated by loadResponseConfig before it reached the correlator (PlaybookParamsSchema).
  const target = perTarget ? runTarget((binding.params as PlaybookSpec).containment, alert) : undefined;
  if (target === undefined) {
    await startOnce(perAlert, input, 'REJECT_DUPLICATE', `${alert.entity.type} ${alert.entity.id}`);
    return perAlert;
  }
  const workflowId = playbookTargetWorkflowId(alert.tenant, binding.playbook, target);
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if (await startOnce(workflowId, input, 'ALLOW_DUPLICATE', target)) return workflowId;
    try {
      await getExternalWorkflowHandle(workflowId).signal(attachAlertSignal, alert);
      return workflowId;
    } catch (err) {
      // The run closed between the refused start and the signal: its id is free again.
      log.warn('playbook run for the target ended before the alert reached it', { workflowId, alertId: alert.id, err: (err as Error).message });
    }
  }
  // The target's runs keep closing under us: this alert still gets its own run rather than none.
  await startOnce(perAlert, input, 'REJECT_DUPLICATE', target);
  return perAlert;
}

/**
 * Starts the run; false when a run with this id is already running (REJECT_DUPLICATE: or ever ran). Incidents start
 * theirs with it too. `on` names what it acts on, for the summary the Temporal UI shows in the parent's history and on the run's own page (user metadata of
 * the command: replay does not compare it).
 */
export async function startOnce(workflowId: string, input: PlaybookInput, workflowIdReusePolicy: WorkflowIdReusePolicy, on: string): Promise<boolean> {
  const { alert, binding } = input;
  try {
    // Typed by the function (same bundle): its name is the workflow type, `playbookWorkflow`, as in histories.
    await startChild(playbookWorkflow, {
      workflowId,
      args: [input],
      // Playbooks outlive this run: continue-as-new must not terminate a playbook awaiting approval.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy,
      staticSummary: oneLine(`${binding.playbook} on ${on} for ${alert.rule.level} alert "${alert.rule.title}"`, 200),
      typedSearchAttributes: [
        { key: TenantId, value: alert.tenant },
        { key: AlertId, value: alert.id },
        { key: RuleId, value: alert.rule.id },
        { key: PlaybookState, value: 'started' },
      ],
    });
    return true;
  } catch (err) {
    // Idempotence: the same alert never runs the same playbook twice (e.g. after a replayed batch).
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}
