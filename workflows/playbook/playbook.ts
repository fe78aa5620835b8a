/**
 * The playbook workflow: a child of the entity's correlator (started with ParentClosePolicy.ABANDON so
 * it survives the correlator's continue-as-new) that interprets its binding's PlaybookSpec:
 *   notify → ask the affected user → wait for approval (escalating group by group, then the default)
 *   → contain (each action declares its undo) → keep for a TTL on a durable timer → undo in reverse order
 *   → ticket → report to the correlator by workflow id (no run id, so the latest run gets it).
 * Every decision, refusal and action is in history, in the memo and in the status query; the
 * PlaybookState search attribute always says where the run is.
 */
import {
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { VigilActivities } from '../../activities';
import type { EntitySnapshot, NoticeKind } from '../../activities/notice';
import type { PlaybookInput, PlaybookReport } from '../../src/model/playbook';
import { alertSubjects } from '../../src/response/authorize';
import { resolveContainment, type ContainmentRequest, type ContainmentResult } from '../../src/response/containment';
import { durationMs } from '../../src/response/duration';
import type { PlaybookSpec } from '../../src/response/playbook-spec';
import { AlertId, PlaybookState, RuleId, TenantId } from '../../src/temporal/search-attributes';
import { playbookReportSignal } from '../correlator/messages';
import { ApprovalBook } from './approval';
import {
  approveSignal,
  decideUpdate,
  denySignal,
  playbookStatusQuery,
  type PlaybookStateValue,
  type PlaybookStatus,
} from './messages';

export async function playbookWorkflow(input: PlaybookInput): Promise<PlaybookReport> {
  const run = new PlaybookRun(input);
  run.registerHandlers();
  return run.execute();
}

class PlaybookRun {
  private readonly spec: PlaybookSpec;
  private readonly workflowId = workflowInfo().workflowId;
  private readonly subjects: string[];
  private readonly approval?: ApprovalBook;
  private readonly acts: VigilActivities;
  private state: PlaybookStateValue = 'running';
  private readonly actions: string[] = [];
  private waitUntil?: number;
  private entity?: EntitySnapshot;
  private report?: PlaybookReport;

  constructor(private readonly input: PlaybookInput) {
    // Validated by loadResponseConfig before it reached the correlator (PlaybookParamsSchema).
    this.spec = input.binding.params as PlaybookSpec;
    this.subjects = alertSubjects(input.alert);
    if (this.spec.approval) this.approval = new ApprovalBook(this.spec.approval, this.subjects);
    const retry = this.spec.retry;
    this.acts = proxyActivities<VigilActivities>({
      startToCloseTimeout: durationMs(retry.timeout),
      retry: {
        initialInterval: durationMs(retry.initialInterval),
        maximumInterval: durationMs(retry.maximumInterval),
        maximumAttempts: retry.maximumAttempts,
        backoffCoefficient: 2,
        nonRetryableErrorTypes: ['VGL_ACTION_REJECTED', 'VGL_ACTION_TARGET', 'VGL_ACTION_NOT_CONFIGURED'],
      },
    });
  }

  registerHandlers(): void {
    setHandler(playbookStatusQuery, () => this.status());
    setHandler(approveSignal, (request) => this.decide({ ...request, decision: 'approve' }));
    setHandler(denySignal, (request) => this.decide({ ...request, decision: 'deny' }));
    setHandler(
      decideUpdate,
      (request) => {
        this.decide(request);
        return this.status();
      },
      {
        validator: (request) => {
          const result = this.approval?.authorize(request.by) ?? { ok: false, code: 'VGL_APPROVAL_CLOSED', refusal: 'this playbook asks for no approval' };
          if (!result.ok) throw ApplicationFailure.nonRetryable(result.refusal, result.code);
        },
      },
    );
  }

  private decide(request: Parameters<ApprovalBook['submit']>[0]): void {
    if (!this.approval) {
      log.warn('decision ignored: this playbook asks for no approval', { by: request.by });
      return;
    }
    const result = this.approval.submit(request, Date.now());
    if (!result.ok) log.warn('decision refused', { by: request.by, code: result.code });
    this.recordMemo();
  }

  status(): PlaybookStatus {
    return {
      workflowId: this.workflowId,
      alertId: this.input.alert.id,
      playbook: this.input.binding.playbook,
      state: this.state,
      askedGroups: this.approval?.askedGroups.map((group) => group.name) ?? [],
      approvalsNeeded: this.approval?.spec.quorum ?? 0,
      decisions: this.approval?.decisions ?? [],
      refused: this.approval?.refused ?? [],
      actions: this.actions,
      ...(this.waitUntil !== undefined ? { waitUntil: this.waitUntil } : {}),
    };
  }

  private setState(state: PlaybookStateValue, waitMs?: number): void {
    this.state = state;
    this.waitUntil = waitMs === undefined ? undefined : Date.now() + waitMs;
    upsertSearchAttributes([{ key: PlaybookState, value: state }]);
    this.recordMemo();
  }

  private recordMemo(): void {
    upsertMemo({ state: this.state, decisions: this.approval?.decisions ?? [], refused: this.approval?.refused ?? [] });
  }

  async execute(): Promise<PlaybookReport> {
    const { alert } = this.input;
    upsertSearchAttributes([
      { key: TenantId, value: alert.tenant },
      { key: AlertId, value: alert.id },
      { key: RuleId, value: alert.rule.id },
    ]);
    this.setState('running');
    try {
      this.entity = await this.acts.readEntityState(this.input.correlatorWorkflowId);
      const outcome = await this.decideAndContain();
      return await this.finish(outcome);
    } catch (err) {
      this.actions.push(`failed: ${(err as Error).message}`);
      await this.finish('failed');
      throw err;
    }
  }

  /** Everything between the alert and the outcome; containment runs only on approval (or not-me / silence rules). */
  private async decideAndContain(): Promise<PlaybookReport['outcome']> {
    if (this.approval) {
      const decision = await this.awaitApproval(this.approval);
      if (decision === 'deny') return this.approval.decisions.some((d) => d.via === 'default') ? 'timed_out' : 'denied';
    } else {
      await this.notify('outcome', `Playbook ${this.input.binding.playbook} is containing alert ${this.input.alert.id} (no approval required)`);
    }
    await this.contain();
    return 'completed';
  }

  private async awaitApproval(book: ApprovalBook): Promise<'approve' | 'deny'> {
    const timeoutMs = durationMs(book.spec.timeout);
    while (book.groupsLeft > 0) {
      const group = book.askNextGroup();
      const escalation = book.askedGroups.length > 1;
      this.setState(escalation ? 'escalated' : 'awaiting_approval', timeoutMs);
      await this.notify(
        escalation ? 'escalation' : 'approval_request',
        `${escalation ? 'Escalated to' : 'Approval requested from'} ${group}: ${this.input.binding.playbook} for ${this.input.alert.rule.title} on ${this.input.alert.entity.type} ${this.input.alert.entity.id}`,
      );
      if (await condition(() => book.outcome() !== undefined, timeoutMs)) break;
    }
    if (book.outcome() === undefined) book.applyDefault(Date.now());
    this.recordMemo();
    const decision = book.outcome()!;
    const last = book.decisions[book.decisions.length - 1]!;
    this.actions.push(`${decision === 'approve' ? 'approved' : 'denied'} by ${book.decisions.filter((d) => d.decision === decision).map((d) => `${d.by} via ${d.via}`).join(', ')}${last.reason ? ` (${last.reason})` : ''}`);
    return decision;
  }

  private async contain(): Promise<void> {
    if (this.spec.containment.length === 0) return;
    this.setState('containing');
    for (const step of this.spec.containment) {
      const request = resolveContainment(step, this.input.alert);
      if (typeof request === 'string') throw ApplicationFailure.nonRetryable(request, 'VGL_ACTION_TARGET');
      const result = await this.apply(request);
      this.actions.push(result.summary);
    }
  }

  private apply(request: ContainmentRequest): Promise<ContainmentResult> {
    const dryRun = this.spec.dryRun;
    switch (request.action) {
      case 'k8s.isolatePod':
        return this.acts.isolatePod(request, dryRun);
      case 'k8s.deletePod':
        return this.acts.deletePod(request, dryRun);
      case 'k8s.scaleDeployment':
        return this.acts.scaleDeploymentToZero(request, dryRun);
      case 'k8s.cordonNode':
        return this.acts.cordonNode(request, dryRun);
      case 'aws.deactivateAccessKey':
      case 'aws.denyAllUserPolicy':
        throw ApplicationFailure.nonRetryable(`${request.action} is not available in this build`, 'VGL_ACTION_NOT_CONFIGURED');
    }
  }

  /** Notices are best effort: a channel that fails after its retries is recorded, never fatal. */
  private async notify(kind: NoticeKind, text: string): Promise<void> {
    const notice = {
      kind,
      workflowId: this.workflowId,
      playbook: this.input.binding.playbook,
      alert: this.input.alert,
      text,
      ...(this.entity ? { entity: this.entity } : {}),
      ...(this.approval && this.waitUntil !== undefined && (kind === 'approval_request' || kind === 'escalation')
        ? {
            asked: {
              groups: this.approval.askedGroups.map((group) => group.name),
              mentions: this.approval.askedGroups.flatMap((group) => group.members.flatMap((member) => (member.chatUserId ? [member.chatUserId] : []))),
              approvalsNeeded: this.approval.spec.quorum,
              until: this.waitUntil,
            },
          }
        : {}),
    };
    for (const channel of this.spec.notify) {
      try {
        if (channel === 'webhook') this.actions.push(await this.acts.notifyWebhook(notice));
      } catch (err) {
        this.actions.push(`${channel} notice ${kind} failed: ${(err as Error).message}`);
      }
    }
  }

  private async finish(outcome: PlaybookReport['outcome']): Promise<PlaybookReport> {
    const finalState: PlaybookStateValue = outcome;
    this.setState(finalState);
    this.report = {
      alertId: this.input.alert.id,
      playbook: this.input.binding.playbook,
      workflowId: this.workflowId,
      outcome,
      decisions: this.approval?.decisions ?? [],
      actions: this.actions,
    };
    try {
      await getExternalWorkflowHandle(this.input.correlatorWorkflowId).signal(playbookReportSignal, this.report);
    } catch (err) {
      // The correlator may have ended (quiet period); the report stays in this run's result.
      this.actions.push(`report not delivered to ${this.input.correlatorWorkflowId}: ${(err as Error).message}`);
    }
    return this.report;
  }
}
