/**
 * The per-tenant rule statistics (alerts, would-be alerts, verdicts per rule), as a class the workflow's handlers
 * delegate to. Deterministic and bounded: one row per rule, plus the last MAX_TRACKED_ALERTS alerts (ids, rule,
 * correlator, verdict) so a redelivered record is ignored and a changed verdict moves its count. A verdict on an
 * alert older than that is applied from the record's `previous` status, as the correlator knew it.
 */
import type { RuleStatsCarried, TrackedAlert } from '../../src/contracts/rule-stats/input';
import type { AlertLocation, RuleStatsRecord, RuleStatsRow, RuleStatsView } from '../../src/contracts/rule-stats/messages';

export const MAX_TRACKED_ALERTS = 5_000;

export class RuleStatsState {
  private readonly byId: Map<string, TrackedAlert>;

  constructor(
    private readonly tenant: string,
    private readonly s: RuleStatsCarried = { rows: {}, alerts: [] },
  ) {
    this.byId = new Map(s.alerts.map((a) => [a.alertId, a]));
  }

  apply(record: RuleStatsRecord): void {
    const row = this.row(record.ruleId, record.title);
    if (record.kind === 'alert') {
      if (this.byId.has(record.alertId)) return; // redelivered
      if (record.shadow) row.shadowAlerts += 1;
      else row.alerts += 1;
      row.shadow = record.shadow;
      row.lastAlertAt = Math.max(row.lastAlertAt, record.at);
      this.track({ alertId: record.alertId, ruleId: record.ruleId, correlatorWorkflowId: record.correlatorWorkflowId });
      return;
    }
    const tracked = this.byId.get(record.alertId);
    const previous = tracked ? tracked.verdict : record.previous === 'true_positive' || record.previous === 'false_positive' ? record.previous : undefined;
    if (previous === record.verdict) return; // redelivered, or set again to what it was
    if (previous === 'true_positive') row.truePositives -= 1;
    if (previous === 'false_positive') row.falsePositives -= 1;
    if (record.verdict === 'true_positive') row.truePositives += 1;
    else row.falsePositives += 1;
    if (tracked) tracked.verdict = record.verdict;
    else this.track({ alertId: record.alertId, ruleId: record.ruleId, correlatorWorkflowId: record.correlatorWorkflowId, verdict: record.verdict });
  }

  view(): RuleStatsView {
    return { tenant: this.tenant, rules: Object.values(this.s.rows) };
  }

  locate(alertId: string): AlertLocation | undefined {
    const a = this.byId.get(alertId);
    return a && { alertId: a.alertId, ruleId: a.ruleId, correlatorWorkflowId: a.correlatorWorkflowId };
  }

  toCarried(): RuleStatsCarried {
    return this.s;
  }

  private row(ruleId: string, title: string): RuleStatsRow {
    const existing = Object.hasOwn(this.s.rows, ruleId) ? this.s.rows[ruleId] : undefined;
    if (existing) {
      existing.title = title;
      return existing;
    }
    const row: RuleStatsRow = { ruleId, title, alerts: 0, shadowAlerts: 0, truePositives: 0, falsePositives: 0, shadow: false, lastAlertAt: 0 };
    this.s.rows[ruleId] = row;
    return row;
  }

  private track(alert: TrackedAlert): void {
    this.s.alerts.push(alert);
    this.byId.set(alert.alertId, alert);
    while (this.s.alerts.length > MAX_TRACKED_ALERTS) this.byId.delete(this.s.alerts.shift()!.alertId);
  }
}
