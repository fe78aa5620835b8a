/**
 * The approval state of one playbook run: who is asked (groups widen on escalation), every decision
 * and every refusal, and the outcome rule. Quorum 1 means first response wins (approve or deny);
 * quorum N needs N distinct approvers and any single deny vetoes. Deterministic: no I/O, time passed in.
 */
import type { Decision } from '../../src/model/playbook';
import { authorizeDecision, type AuthorizationResult } from '../../src/response/authorize';
import type { PlaybookSpec } from '../../src/response/playbook-spec';
import type { DecideInput, RefusedDecision } from './messages';

export type ApprovalSpec = NonNullable<PlaybookSpec['approval']>;

export class ApprovalBook {
  readonly decisions: Decision[] = [];
  readonly refused: RefusedDecision[] = [];
  /** How many of spec.groups have been asked (0 = not asking yet). */
  private asked = 0;
  private open = false;

  constructor(
    readonly spec: ApprovalSpec,
    private readonly subjects: string[],
  ) {}

  /** Opens the next group (the first call asks the first group). Returns the newly asked group's name. */
  askNextGroup(): string {
    const group = this.spec.groups[this.asked]!;
    this.asked += 1;
    this.open = true;
    return group.name;
  }

  get askedGroups(): ApprovalSpec['groups'] {
    return this.spec.groups.slice(0, this.asked);
  }

  get groupsLeft(): number {
    return this.spec.groups.length - this.asked;
  }

  authorize(by: string): AuthorizationResult {
    return authorizeDecision(
      { open: this.open, askedGroups: this.askedGroups, subjects: this.subjects, decidedBy: this.decisions.map((d) => d.by) },
      by,
    );
  }

  /** Records the decision if authorized, the refusal otherwise; closes the book once an outcome exists. */
  submit(input: DecideInput, at: number): AuthorizationResult {
    const result = this.authorize(input.by);
    if (result.ok) {
      this.decisions.push({ decision: input.decision, by: input.by, ...(input.actor ? { actor: input.actor } : {}), at, via: input.via, ...(input.reason ? { reason: input.reason } : {}) });
      if (this.outcome() !== undefined) this.open = false;
    } else {
      this.refused.push({ ...input, at, code: result.code, refusal: result.refusal });
    }
    return result;
  }

  /** Applies the declared default after the last group timed out. */
  applyDefault(at: number): void {
    this.open = false;
    this.decisions.push({ decision: this.spec.default, by: 'default', at, via: 'default', reason: 'no decision before the last escalation timed out' });
  }

  outcome(): Decision['decision'] | undefined {
    if (this.decisions.some((d) => d.decision === 'deny')) return 'deny';
    const approvers = new Set(this.decisions.filter((d) => d.decision === 'approve').map((d) => d.by));
    if (approvers.has('default') || approvers.size >= this.spec.quorum) return 'approve';
    return undefined;
  }
}
