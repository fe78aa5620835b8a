/**
 * The playbook workflow: a child of the entity's correlator (started with ParentClosePolicy.ABANDON so
 * it survives the correlator's continue-as-new) that interprets its binding's PlaybookSpec:
 *   ask the affected user → wait for approval (escalating group by group, then the declared default)
 *   → contain (each action declares its undo) → keep for a TTL on a durable timer → undo in reverse order
 *   → ticket → report to the correlator by workflow id (no run id, so its latest run gets it).
 * A run keyed by its target (workflows/correlator/playbook-start.ts) also covers the alerts correlators attach to it
 * (covered-alerts.ts): one approval for them all; alerts that arrive after it stopped acting on the target get the
 * next run, by continue-as-new.
 * Every decision, refusal and action is in history, in the memo and in the status query; the
 * PlaybookState search attribute always says where the run is.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { playbookReportSignal } from '../../src/contracts/correlator/messages';
import type { PlaybookActivities } from '../../src/contracts/playbook/activities';
import type { PlaybookInput } from '../../src/contracts/playbook/input';
import {
  approveSignal,
  attachAlertSignal,
  containmentSignal,
  decideUpdate,
  denySignal,
  inheritUndoSignal,
  playbookStatusQuery,
  userResponseSignal,
  type ContainmentCommand,
  type DecideInput,
  type PlaybookStateValue,
  type PlaybookStatus,
  type UserResponse,
} from '../../src/contracts/playbook/messages';
import type { EntitySnapshot, NoticeKind, PlaybookNotice } from '../../src/contracts/playbook/notice';
import type { Alert } from '../../src/model/alert';
import { oneLine } from '../../src/model/markdown';
import { parseDuration } from '../../src/model/duration';
import type { ContainmentRecord, PlaybookReport } from '../../src/model/playbook';
import { alertSubjects, authorizeDecision } from '../../src/response/authorize';
import {
  affectedUser,
  containmentTarget,
  resolveContainment,
  runTarget,
  undoTarget,
  type ContainmentRequest,
  type ContainmentResult,
  type UndoStep,
} from '../../src/response/containment';
import { containmentAction, undoDefinition, type ApplyActivityName, type UndoActivityName } from '../../src/response/actions/registry';
import type { PlaybookSpec } from '../../src/response/playbook-spec';
import { AlertId, PlaybookState, RuleId, TenantId } from '../../src/temporal/search-attributes';
import { ApprovalBook } from './approval';
import { CoveredAlerts } from './covered-alerts';
import { renderPlaybookDetails } from './playbook-details';

export async function playbookWorkflow(input: PlaybookInput): Promise<PlaybookReport> {
  let run: PlaybookRun;
  try {
    run = new PlaybookRun(input);
  } catch (err) {
    // Params that bypassed loadResponseConfig: fail the run (visible, reported) instead of retrying its task forever.
    throw ApplicationFailure.nonRetryable(`invalid params for playbook ${input.binding.playbook}: ${rootMessage(err)}`, 'VGL_RESPONSE_CONFIG');
  }
  run.registerHandlers();
  return run.execute();
}

function minutes(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms / 60_000)} min`;
}

/** An ActivityFailure says only "Activity task failed"; the reason is at the end of its cause chain. */
/** "alice via cli (OS user jdoe)": who commanded a containment, for the report. */
function commander(command: ContainmentCommand): string {
  return `${command.by} via ${command.via}${command.actor ? ` (OS user ${command.actor})` : ''}`;
}

function rootMessage(err: unknown): string {
  let current = err as { message: string; cause?: unknown };
  while (current.cause instanceof Error) current = current.cause;
  return current.message;
}

const memoRefusals = 20;
/** How long a reverting run keeps accepting hand-overs after its last undo (see releaseAll). */
const handoverGraceMs = 3_000;
const nonRetryableErrorTypes = ['VGL_ACTION_REJECTED', 'VGL_ACTION_TARGET', 'VGL_ACTION_NOT_CONFIGURED'];

class PlaybookRun {
  private readonly spec: PlaybookSpec;
  private readonly workflowId = workflowInfo().workflowId;
  private readonly subjects: string[];
  private readonly covered: CoveredAlerts;
  private readonly approval?: ApprovalBook;
  /**
   * The activities, each call with its summary (shown on the activity in the UI's history; user metadata, which replay
   * does not compare): `acts` with the playbook's retry policy, `lookups` for context that is nice to have.
   */
  private readonly acts: (summary: string) => PlaybookActivities;
  private readonly lookups: (summary: string) => Pick<PlaybookActivities, 'readEntityState'>;
  private state: PlaybookStateValue = 'running';
  private readonly actions: string[] = [];
  private waitUntil?: number;
  private entity?: EntitySnapshot;
  /** The identity asked "did you just do this?" (rules/responses name), lower-cased. */
  private askedUser?: string;
  private userResponse?: UserResponse;
  private containmentCommand?: ContainmentCommand;
  /** Undos declared by this run's containment, in the order applied. */
  private readonly undos: UndoStep[] = [];
  /** Undos handed over by runs whose containment of a target this run also holds ended first. */
  private readonly inheritedUndos: { undo: UndoStep; from: string }[] = [];
  /** Targets this run holds while contained (see containmentTarget). */
  private readonly holds: string[] = [];
  private containment?: ContainmentRecord;

  constructor(private readonly input: PlaybookInput) {
    // Validated by loadResponseConfig before it reached the correlator (PlaybookParamsSchema).
    this.spec = input.binding.params as PlaybookSpec;
    this.covered = new CoveredAlerts(input.alert, Date.now());
    for (const alert of input.attached ?? []) this.covered.attach(alert, Date.now());
    // Shared, not copied: an attached alert's subjects may not approve either.
    this.subjects = this.covered.subjects;
    if (this.spec.approval) this.approval = new ApprovalBook(this.spec.approval, this.subjects);
    const retry = this.spec.retry;
    const options = {
      startToCloseTimeout: parseDuration(retry.timeout),
      retry: {
        initialInterval: parseDuration(retry.initialInterval),
        maximumInterval: parseDuration(retry.maximumInterval),
        maximumAttempts: retry.maximumAttempts,
        backoffCoefficient: 2,
        nonRetryableErrorTypes,
      },
    };
    this.acts = (summary) => proxyActivities<PlaybookActivities>({ ...options, summary: oneLine(summary, 200) });
    // Context for notices is nice to have: two quick tries, then go on without it.
    this.lookups = (summary) => proxyActivities<PlaybookActivities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 2 }, summary: oneLine(summary, 200) });
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
        // Runs before the update is accepted: a refused update leaves no trace in history and the
        // caller gets the code (ApplicationFailure.type) and the reason.
        validator: (request) => {
          const result = this.approval?.authorize(request.by) ?? { ok: false, code: 'VGL_APPROVAL_CLOSED', refusal: 'this playbook asks for no approval' };
          if (!result.ok) throw ApplicationFailure.nonRetryable(result.refusal, result.code);
        },
      },
    );
    setHandler(userResponseSignal, (response) => {
      const by = response.by.toLowerCase();
      // Only the person asked about the starting alert answers; an attached alert's subjects only lose the right to approve.
      if (this.state === 'awaiting_user' && (by === this.askedUser || alertSubjects(this.input.alert).includes(by))) this.userResponse = response;
      else log.warn('user response ignored', { by: response.by, state: this.state });
    });
    setHandler(inheritUndoSignal, (handover) => {
      const target = undoTarget(handover.undo);
      // An undo of our own for the same target already restores it; a second copy would only repeat it.
      if (this.undos.some((undo) => undoTarget(undo) === target)) {
        this.actions.push(`${handover.from} handed over the undo of ${target}: covered by this run's own`);
        return;
      }
      this.inheritedUndos.push(handover);
      if (!this.holds.includes(target)) this.holds.push(target);
      this.actions.push(`took over the undo of ${target} from ${handover.from}`);
    });
    setHandler(attachAlertSignal, (alert) => this.attach(alert));
    setHandler(containmentSignal, (command) => {
      if (this.state === 'contained' && this.mayCommandContainment(command.by)) this.containmentCommand = command;
      else log.warn('containment command ignored', { by: command.by, state: this.state });
    });
  }

  /** Keep/release needs the same standing as approving: any member of the playbook's groups, never the subject. */
  private mayCommandContainment(by: string): boolean {
    const groups = this.spec.approval?.groups ?? [];
    if (groups.length === 0) return !this.subjects.includes(by.toLowerCase());
    return authorizeDecision({ open: true, askedGroups: groups, subjects: this.subjects, decidedBy: [] }, by).ok;
  }

  private attach(alert: Alert): void {
    const result = this.covered.attach(alert, Date.now());
    if (result === 'duplicate') return;
    if (result === 'other_tenant') {
      log.warn('alert of another tenant not attached', { alertId: alert.id, tenant: alert.tenant });
      return;
    }
    const what = `alert ${alert.id} (${alert.rule.title} on ${alert.entity.type} ${alert.entity.id})`;
    this.actions.push(result === 'covered' ? `attached ${what}` : `${what} arrived after this run stopped acting on the target: the next run asks about it`);
    this.recordMemo();
  }

  private decide(request: DecideInput): void {
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
      correlatorWorkflowId: this.input.correlatorWorkflowId,
      playbook: this.input.binding.playbook,
      state: this.state,
      alerts: this.covered.all,
      askedGroups: this.approval?.askedGroups.map((group) => group.name) ?? [],
      approvalsNeeded: this.approval?.spec.quorum ?? 0,
      decisions: this.approval?.decisions ?? [],
      refused: this.approval?.refused ?? [],
      actions: this.actions,
      holds: this.holds,
      ...(this.entity ? { entity: this.entity } : {}),
      ...(this.waitUntil !== undefined ? { waitUntil: this.waitUntil } : {}),
    };
  }

  private setState(state: PlaybookStateValue, waitMs?: number): void {
    this.state = state;
    this.waitUntil = waitMs === undefined ? undefined : Date.now() + waitMs;
    upsertSearchAttributes([{ key: PlaybookState, value: state }]);
    this.recordMemo();
  }

  /** What the run acts on, for people: its containment target, else the starting alert's entity. */
  private target(): string {
    const { alert } = this.input;
    return runTarget(this.spec.containment, alert) ?? `${alert.entity.type} ${alert.entity.id}`;
  }

  /** The Temporal UI page of a workflow, next to the starting alert's correlator page (undefined without its link). */
  private linkTo(): ((workflowId: string) => string) | undefined {
    const link = this.input.alert.link;
    if (link === undefined) return undefined;
    return (workflowId) => `${link.slice(0, link.lastIndexOf('/') + 1)}${encodeURIComponent(workflowId)}`;
  }

  /**
   * Memo and current details for the Temporal UI, after every change of state, decision or attachment. Refusals are
   * bounded in the memo (anyone can send signals), history keeps them all. Current details are in worker memory only.
   */
  private recordMemo(): void {
    const linkTo = this.linkTo();
    setCurrentDetails(renderPlaybookDetails({ status: this.status(), target: this.target(), groups: this.spec.approval?.groups ?? [], ...(linkTo ? { linkTo } : {}) }));
    const refused = this.approval?.refused ?? [];
    upsertMemo({
      state: this.state,
      decisions: this.approval?.decisions ?? [],
      refused: refused.slice(-memoRefusals),
      refusedTotal: refused.length,
      containment: this.containment ?? null,
      // Only with attachments, so the memo of a single-alert run is what it was (older histories replay unchanged).
      ...(this.covered.count > 1 ? { alerts: this.covered.all.map((alert) => alert.id), alertCount: this.covered.count } : {}),
    });
  }

  async execute(): Promise<PlaybookReport> {
    const { alert } = this.input;
    upsertSearchAttributes([
      { key: TenantId, value: alert.tenant },
      { key: AlertId, value: alert.id },
      { key: RuleId, value: alert.rule.id },
    ]);
    this.setState('running');
    const report = await this.run();
    // Outside run()'s failure handling: continue-as-new ends this run by throwing.
    if (this.covered.late.length > 0) await this.continueForLateAlerts();
    return report;
  }

  private async run(): Promise<PlaybookReport> {
    try {
      this.entity = await this.readEntity();
      const outcome = await this.decideAndContain();
      if (this.spec.ticket) await this.openTicket(outcome);
      return await this.finish(outcome);
    } catch (err) {
      this.actions.push(`failed: ${rootMessage(err)}`);
      // Reverting and reporting must run even though this run's scope is cancelled.
      await CancellationScope.nonCancellable(async () => {
        // A cancelled run gives up what it holds, since nobody would own the undo afterwards. A failed
        // action leaves what was applied in place (protective) and listed in the report.
        if (isCancellation(err) && this.holds.length > 0) {
          this.setState('reverting');
          await this.releaseAll();
          this.containment!.revertedAt = Date.now();
        }
        await this.finish('failed');
      });
      throw err;
    }
  }

  /** The correlator's live risk and timeline; undefined when it cannot be read (notices then carry the alert only). */
  private readEntity(): Promise<EntitySnapshot | undefined> {
    const { correlatorWorkflowId } = this.input;
    return this.lookups(`risk and timeline of ${correlatorWorkflowId}`).readEntityState(correlatorWorkflowId, this.input.binding.playbook).catch(() => undefined);
  }

  /** Everything between the alert and the outcome; containment needs approval, a "not me" or silence rule. */
  private async decideAndContain(): Promise<PlaybookReport['outcome']> {
    let containNow = false;
    if (this.spec.confirmUser) {
      const answer = await this.askUser(this.spec.confirmUser);
      if (answer === 'confirmed') {
        this.covered.close();
        await this.notify('outcome', `${this.userResponse!.by} confirmed they did this: no containment for alert ${this.input.alert.id}`);
        return 'completed';
      }
      containNow = answer === 'not_me' || (answer === 'silence' && this.spec.confirmUser.onSilence === 'contain');
    }
    if (this.approval && !containNow) {
      const decision = await this.awaitApproval(this.approval);
      if (decision === 'deny') this.covered.close();
      await this.notify('decided', this.actions[this.actions.length - 1]!);
      if (decision === 'deny') return this.approval.decisions.some((d) => d.via === 'default') ? 'timed_out' : 'denied';
    }
    await this.contain();
    return 'completed';
  }

  private async askUser(spec: NonNullable<PlaybookSpec['confirmUser']>): Promise<UserResponse['answer'] | 'silence' | 'unreachable'> {
    const user = affectedUser(this.input.alert, spec.user);
    if (!user) {
      this.actions.push('user confirmation skipped: the alert names no user');
      return 'unreachable';
    }
    const timeoutMs = parseDuration(spec.timeout);
    const question = `Did you just do this? ${this.input.alert.rule.title} on ${this.input.alert.entity.type} ${this.input.alert.entity.id} (alert ${this.input.alert.id}). Answer within ${spec.timeout}.`;
    try {
      const asked = await this.acts(`ask ${user} "was this you?"`).askUserToConfirm({ user, workflowId: this.workflowId, question }, this.spec.dryRunNotices);
      this.actions.push(asked.summary);
      this.askedUser = asked.identity.toLowerCase();
    } catch (err) {
      this.actions.push(`could not ask ${user}: ${rootMessage(err)}`);
      return 'unreachable';
    }
    this.setState('awaiting_user', timeoutMs);
    if (!(await condition(() => this.userResponse !== undefined, timeoutMs, { summary: oneLine(`answer from ${user} ("was this you?")`, 200) }))) {
      this.actions.push(`${user} did not answer within ${spec.timeout}`);
      return 'silence';
    }
    const response = this.userResponse!;
    this.actions.push(`${response.by} answered via ${response.via}: ${response.answer === 'confirmed' ? 'it was me' : 'it was not me'}`);
    return response.answer;
  }

  private async awaitApproval(book: ApprovalBook): Promise<'approve' | 'deny'> {
    const timeoutMs = parseDuration(book.spec.timeout);
    const { alert, binding } = this.input;
    while (book.groupsLeft > 0) {
      const group = book.askNextGroup();
      const escalation = book.askedGroups.length > 1;
      this.setState(escalation ? 'escalated' : 'awaiting_approval', timeoutMs);
      if (escalation) {
        this.actions.push(`no decision within ${book.spec.timeout}: escalated to ${group}`);
        // The next group sees the entity as it is now, not as it was when the alert was raised.
        this.entity = (await this.readEntity()) ?? this.entity;
      }
      await this.notify(
        escalation ? 'escalation' : 'approval_request',
        `${escalation ? 'Escalated to' : 'Approval requested from'} ${group}: run ${binding.playbook} for "${alert.rule.title}" on ${alert.entity.type} ${alert.entity.id}${this.moreAlerts()}?`,
      );
      // The summary names the wait in the UI's history (user metadata of the timer: replay does not compare it).
      if (await condition(() => book.outcome() !== undefined, timeoutMs, { summary: oneLine(`approval for ${binding.playbook} on ${this.target()} from ${group}`, 200) })) break;
    }
    if (book.outcome() === undefined) book.applyDefault(Date.now());
    this.recordMemo();
    const decision = book.outcome()!;
    const deciders = book.decisions.filter((d) => d.decision === decision).map((d) => `${d.by} via ${d.via}${d.actor ? ` (OS user ${d.actor})` : ''}${d.reason ? ` (${d.reason})` : ''}`);
    this.actions.push(`${decision === 'approve' ? 'approved' : 'denied'} by ${deciders.join(', ')}`);
    return decision;
  }

  /**
   * Applies every containment step, then holds it: for the TTL (durable timer) unless an analyst keeps
   * it (then until released) or releases it early; without a TTL, until released. A dry run holds
   * nothing real, so without a TTL it ends at once. Reverting hands each undo to another run that still
   * holds the same target, or applies it, newest first.
   */
  private async contain(): Promise<void> {
    if (this.spec.containment.length === 0) return;
    this.setState('containing');
    this.containment = { applied: [] };
    let holdsSomethingReal = false;
    for (const step of this.spec.containment) {
      const request = resolveContainment(step, this.input.alert);
      if (typeof request === 'string') throw ApplicationFailure.nonRetryable(request, 'VGL_ACTION_TARGET');
      const result = await this.apply(request);
      this.actions.push(result.summary);
      this.containment.applied.push(result.summary);
      const target = containmentTarget(request);
      if (target && !this.holds.includes(target)) this.holds.push(target);
      if (result.undo) this.undos.push(result.undo);
      holdsSomethingReal ||= !result.dryRun && target !== undefined;
    }
    const applied = this.containment.applied.join('; ');
    if (!this.spec.ttl && !holdsSomethingReal) {
      this.holds.length = 0;
      await this.notify('contained', `Contained: ${applied}`);
      return;
    }
    const ttlMs = this.spec.ttl ? this.ttlMs(this.spec.ttl) : undefined;
    if (ttlMs !== undefined) this.containment.ttlMs = ttlMs;
    this.setState('contained', ttlMs);
    await this.notify('contained', ttlMs !== undefined ? `Contained for ${minutes(ttlMs)} unless an analyst keeps it: ${applied}` : `Contained until an analyst releases it: ${applied}`);

    let command = await this.awaitContainmentCommand(ttlMs);
    if (command?.command === 'keep') {
      this.containment.keptBy = command.by;
      this.actions.push(`containment kept by ${commander(command)}${command.reason ? ` (${command.reason})` : ''}`);
      this.setState('contained');
      command = await this.awaitContainmentCommand(undefined);
    }
    this.actions.push(command ? `containment released by ${commander(command)}${command.reason ? ` (${command.reason})` : ''}` : `containment TTL of ${minutes(ttlMs!)} expired`);
    this.covered.close();
    this.setState('reverting');
    await this.releaseAll();
    this.containment.revertedAt = Date.now();
    this.recordMemo();
    await this.notify('reverted', `Containment reverted for alert ${this.input.alert.id}`);
  }

  /** Waits for keep/release (a repeated keep while kept changes nothing); undefined when `ms` elapsed. */
  private async awaitContainmentCommand(ms: number | undefined): Promise<ContainmentCommand | undefined> {
    const kept = this.containment?.keptBy !== undefined;
    this.containmentCommand = undefined;
    const arrived = () => this.containmentCommand !== undefined && !(kept && this.containmentCommand.command === 'keep');
    if (ms === undefined) await condition(arrived);
    else await condition(arrived, ms, { summary: `containment TTL (${minutes(ms)}) or an analyst's keep or release` });
    return arrived() ? this.containmentCommand : undefined;
  }

  /** Own undos newest first, then inherited ones newest first; inherited ones may still arrive meanwhile. */
  private async releaseAll(): Promise<void> {
    for (const undo of this.undos.reverse()) await this.releaseOne(undo);
    this.undos.length = 0;
    // A run that found us still `contained` (visibility lags) may hand over just after we left that
    // state: stay a moment so its undo is applied here rather than arriving after this run ended.
    do {
      while (this.inheritedUndos.length > 0) await this.releaseOne(this.inheritedUndos.pop()!.undo);
    } while (await condition(() => this.inheritedUndos.length > 0, handoverGraceMs, { summary: 'grace for undo hand-overs' }));
    this.holds.length = 0;
  }

  private async releaseOne(undo: UndoStep): Promise<void> {
    const target = undoTarget(undo);
    const holder = await this.acts(`another run holding ${target}?`).findContainmentHolder({ tenant: this.input.alert.tenant, target, excludeWorkflowId: this.workflowId });
    if (holder) {
      try {
        await getExternalWorkflowHandle(holder).signal(inheritUndoSignal, { undo, from: this.workflowId });
        this.actions.push(`${target} is still held by ${holder}: handed it the undo`);
        return;
      } catch (err) {
        // The holder finished in between: nobody else will revert it, so do it here.
        log.warn('containment holder gone, reverting here', { holder, target, err: rootMessage(err) });
      }
    }
    this.actions.push(await this.revert(undo));
  }

  /** Repeat offenders: the TTL grows by the escalation factor per earlier containment, capped at maxTtl. */
  private ttlMs(ttl: string): number {
    const prior = this.entity?.priorContainments ?? 0;
    return Math.min(parseDuration(ttl) * this.spec.ttlEscalationFactor ** prior, parseDuration(this.spec.maxTtl));
  }

  /** The activity the action's record names (its type name is fixed: histories refer to it). */
  private apply(request: ContainmentRequest): Promise<ContainmentResult> {
    const target = containmentTarget(request) ?? this.target();
    return this.acts(`${request.action} on ${target}${this.spec.dryRun ? ' (dry run)' : ''}`)[containmentAction(request.action).activity as ApplyActivityName](request, this.spec.dryRun);
  }

  private revert(undo: UndoStep): Promise<string> {
    return this.acts(`undo ${undo.action} on ${undoTarget(undo)}${this.spec.dryRun ? ' (dry run)' : ''}`)[undoDefinition(undo.action).activity as UndoActivityName](undo, this.spec.dryRun);
  }

  /** Notices are best effort: a channel that still fails after its retries is recorded, never fatal. */
  private async notify(kind: NoticeKind, text: string): Promise<void> {
    const asking = this.approval && this.waitUntil !== undefined && (kind === 'approval_request' || kind === 'escalation');
    const notice: PlaybookNotice = {
      kind,
      workflowId: this.workflowId,
      playbook: this.input.binding.playbook,
      alert: this.input.alert,
      alerts: this.covered.all,
      text,
      ...(this.entity ? { entity: this.entity } : {}),
      ...(asking
        ? {
            asked: {
              groups: this.approval!.askedGroups.map((group) => group.name),
              mentions: this.approval!.askedGroups.flatMap((group) => group.members.flatMap((member) => (member.chatUserId ? [member.chatUserId] : []))),
              approvalsNeeded: this.approval!.spec.quorum,
              until: this.waitUntil!,
            },
          }
        : {}),
    };
    for (const channel of this.spec.notify) {
      const acts = this.acts(`${channel} notice: ${kind.replace(/_/g, ' ')}`);
      const send = { webhook: acts.notifyWebhook, slack: acts.notifySlack, slack_webhook: acts.notifySlackWebhook }[channel];
      try {
        this.actions.push(await send(notice, this.spec.dryRunNotices));
      } catch (err) {
        this.actions.push(`${channel} notice ${kind} failed: ${rootMessage(err)}`);
      }
    }
  }

  /** Tickets are best effort too: the report records a failure instead of failing the playbook. */
  private async openTicket(outcome: PlaybookReport['outcome']): Promise<void> {
    const { alert } = this.input;
    const ticket = {
      title: `[Vigil] ${alert.rule.title} on ${alert.entity.type} ${alert.entity.id}`,
      body: [`Playbook ${this.input.binding.playbook}: ${outcome}`, ...this.actions].join('\n'),
      alertId: alert.id,
      workflowId: this.workflowId,
      severity: alert.rule.level,
    };
    try {
      this.actions.push(await this.acts(`open a ticket: ${ticket.title}`).openTicket(ticket, this.spec.dryRun));
    } catch (err) {
      this.actions.push(`ticket failed: ${rootMessage(err)}`);
    }
  }

  /** `" and 2 more alerts for this target"` when alerts were attached; empty otherwise. */
  private moreAlerts(): string {
    const more = this.covered.count - 1;
    return more > 0 ? ` and ${more} more alert${more === 1 ? '' : 's'} for this target` : '';
  }

  /**
   * Alerts that arrived after this run stopped acting on the target get a run of their own under the same workflow
   * id: the oldest starts it, the others are covered from its start. Its report goes to that alert's correlator.
   */
  private async continueForLateAlerts(): Promise<never> {
    const [alert, ...attached] = this.covered.late;
    await condition(allHandlersFinished);
    return continueAsNew<typeof playbookWorkflow>({ alert: alert!, binding: this.input.binding, correlatorWorkflowId: alert!.correlatorWorkflowId, attached });
  }

  private async finish(outcome: PlaybookReport['outcome']): Promise<PlaybookReport> {
    this.covered.close();
    // An undo handed over while this run was already reverting or notifying must not be dropped.
    while (this.inheritedUndos.length > 0) await this.releaseOne(this.inheritedUndos.pop()!.undo).catch((err) => this.actions.push(`undo failed: ${rootMessage(err)}`));
    this.setState(outcome);
    const report: PlaybookReport = {
      alertId: this.input.alert.id,
      ...(this.covered.count > 1 ? { alertIds: this.covered.all.map((alert) => alert.id) } : {}),
      playbook: this.input.binding.playbook,
      workflowId: this.workflowId,
      outcome,
      decisions: this.approval?.decisions ?? [],
      actions: this.actions,
      ...(this.containment ? { containment: this.containment } : {}),
    };
    // Every correlator whose alert the run covered learns the outcome (repeat-offender TTLs read it back).
    const correlators = new Set([this.input.correlatorWorkflowId, ...this.covered.all.map((alert) => alert.correlatorWorkflowId)]);
    for (const correlator of correlators) {
      try {
        await getExternalWorkflowHandle(correlator).signal(playbookReportSignal, report);
      } catch (err) {
        // The correlator may have ended (quiet period); the report stays in this run's result.
        this.actions.push(`report not delivered to ${correlator}: ${rootMessage(err)}`);
      }
    }
    return report;
  }
}
