/**
 * The alerts one playbook run decides on: the one that started it, then those that correlators attach because they
 * bind the same playbook to the same target (attachAlertSignal). Idempotent by alert id, so a repeated, redelivered or
 * replayed signal changes nothing. Once the run has stopped acting on the target (close), a new alert is kept as late:
 * the run continues as new for it, which asks again. Everyone a covered alert names joins the run's subjects, who
 * may not approve it. Deterministic: time is passed in.
 */
import type { CoveredAlert } from '../../src/contracts/playbook/notice';
import type { Alert } from '../../src/model/alert';
import { alertSubjects } from '../../src/response/authorize';

/** Covered alerts listed one by one (the rest are counted), so the status query, memo and notices stay small. */
const maxListed = 100;

export type AttachResult = 'covered' | 'late' | 'duplicate' | 'other_tenant';

export class CoveredAlerts {
  /** Lower-cased identities the covered alerts name (see alertSubjects); shared with the approval book. */
  readonly subjects: string[] = [];
  /** Alerts that arrived after close(), oldest first: the next run's. */
  readonly late: Alert[] = [];
  private readonly listed: CoveredAlert[] = [];
  private readonly seen = new Set<string>();
  private unlisted = 0;
  private open = true;

  constructor(private readonly first: Alert, at: number) {
    this.seen.add(first.id);
    this.cover(first, at);
  }

  attach(alert: Alert, at: number): AttachResult {
    if (alert.tenant !== this.first.tenant) return 'other_tenant';
    if (this.seen.has(alert.id)) return 'duplicate';
    this.seen.add(alert.id);
    if (!this.open) {
      this.late.push(alert);
      return 'late';
    }
    this.cover(alert, at);
    return 'covered';
  }

  /** The run no longer acts on the target (denied, confirmed by the user, released, ending): later alerts are late. */
  close(): void {
    this.open = false;
  }

  /** The starting alert first, then attached ones in arrival order (at most maxListed). */
  get all(): CoveredAlert[] {
    return this.listed;
  }

  get count(): number {
    return this.listed.length + this.unlisted;
  }

  private cover(alert: Alert, at: number): void {
    for (const subject of alertSubjects(alert)) if (!this.subjects.includes(subject)) this.subjects.push(subject);
    if (this.listed.length >= maxListed) {
      this.unlisted += 1;
      return;
    }
    this.listed.push({
      id: alert.id,
      rule: { id: alert.rule.id, title: alert.rule.title, level: alert.rule.level },
      entity: alert.entity,
      correlatorWorkflowId: alert.correlatorWorkflowId,
      raisedAt: alert.raisedAt,
      coveredAt: at,
      ...(alert.incident !== undefined ? { incident: alert.incident } : {}),
    });
  }
}
