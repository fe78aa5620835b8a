/**
 * One incident's state: its alerts (as rows), the entities they name, the merged timeline of their events, the
 * ATT&CK tactics seen, its severity and its status. Plain data in `s` (IncidentCarried), carried through
 * continue-as-new; every list is bounded (settings.maxAlerts, maxTimeline; MAX_ENTITIES, MAX_ACTIONS).
 *
 * Status: open → acknowledged → resolved (with a verdict), or open/acknowledged → merged (handed over to another
 * incident). Resolution is final; an alert still in flight to a resolved incident is recorded (a late delivery) but
 * does not reopen it: the router already sends the next related alert to a new incident.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { IncidentCarried, IncidentSettings } from '../../src/contracts/incident/input';
import type {
  AcknowledgeIncidentInput,
  IncidentAlert,
  IncidentTimelineEntry,
  IncidentView,
  MergedIncident,
  ResolveIncidentInput,
} from '../../src/contracts/incident/messages';
import type { Alert } from '../../src/model/alert';
import type { IncidentRef } from '../../src/model/incident';
import { incidentVerdicts } from '../../src/model/incident';
import type { BindingSubject } from '../../src/response/binding-match';
import { alertTactics, higherLevel, inKillChainOrder, severityOf, techniquesOfTags } from '../../src/response/incident-evidence';
import { alertEntities, entityKey } from '../../src/response/incident-links';

const MAX_ENTITIES = 200;
const MAX_ACTIONS = 50;

export function freshIncident(now: number): IncidentCarried {
  return {
    status: 'open',
    severity: 'informational',
    tactics: [],
    entities: [],
    alerts: [],
    alertCount: 0,
    ruleIds: [],
    timeline: [],
    playbooks: [],
    createdAt: now,
    updatedAt: now,
    mergedFrom: [],
    actions: [],
    pending: [],
  };
}

function rowOf(alert: Alert): IncidentAlert {
  return {
    id: alert.id,
    kind: alert.kind,
    rule: { id: alert.rule.id, ...(alert.rule.name !== undefined ? { name: alert.rule.name } : {}), title: alert.rule.title, level: alert.rule.level, tags: alert.rule.tags },
    entity: alert.entity,
    entities: alertEntities(alert),
    sources: [...new Set(alert.events.map((e) => e.source))],
    eventCount: alert.eventCount,
    firstSeen: alert.firstSeen,
    lastSeen: alert.lastSeen,
    raisedAt: alert.raisedAt,
    correlatorWorkflowId: alert.correlatorWorkflowId,
    ...(alert.link !== undefined ? { link: alert.link } : {}),
  };
}

function reject(field: string, message: string): never {
  throw ApplicationFailure.nonRetryable(`${field}: ${message}`, 'VGL_INCIDENT_INVALID');
}

export class IncidentState {
  constructor(
    readonly tenant: string,
    readonly id: string,
    readonly workflowId: string,
    private readonly settings: IncidentSettings,
    readonly s: IncidentCarried,
  ) {}

  private known(alertId: string): boolean {
    return this.s.alerts.some((a) => a.id === alertId) || this.s.pending.some((a) => a.id === alertId);
  }

  /** Signal handler body: queue new alerts (an alert already here is ignored: redelivery, retried routing). */
  enqueue(alerts: readonly Alert[]): void {
    for (const alert of alerts) if (!this.known(alert.id)) this.s.pending.push(alert);
  }

  hasPending(): boolean {
    return this.s.pending.length > 0;
  }

  /** Applies the queued alerts and returns them (their playbook bindings are evaluated by the workflow). */
  applyPending(now: number): Alert[] {
    const applied = this.s.pending.splice(0);
    for (const alert of applied) {
      this.addRow(rowOf(alert));
      for (const event of alert.events) {
        this.addTimeline({ time: event.time, eventId: event.id, source: event.source, alertId: alert.id, rule: alert.rule.title, entity: entityKey(alert.entity) });
      }
    }
    if (applied.length > 0) {
      this.s.lastAlert = applied[applied.length - 1];
      this.s.updatedAt = now;
      this.sortTimeline();
    }
    return applied;
  }

  private addRow(row: IncidentAlert): void {
    if (this.s.alerts.some((a) => a.id === row.id)) return;
    this.s.alerts.push(row);
    this.s.alertCount += 1;
    if (this.s.alerts.length > this.settings.maxAlerts) this.s.alerts.shift();
    if (!this.s.ruleIds.includes(row.rule.id)) this.s.ruleIds.push(row.rule.id);
    this.s.tactics = inKillChainOrder([...this.s.tactics, ...alertTactics(row)]);
    for (const entity of row.entities) {
      if (this.s.entities.length >= MAX_ENTITIES) break;
      if (!this.s.entities.some((e) => e.type === entity.type && e.id === entity.id)) this.s.entities.push(entity);
    }
    const highest = this.s.alerts.reduce((level, a) => higherLevel(level, a.rule.level), row.rule.level);
    this.s.severity = higherLevel(this.s.severity, severityOf({ highestAlertLevel: highest, tactics: this.s.tactics.length, rules: this.s.ruleIds.length }));
  }

  private addTimeline(entry: IncidentTimelineEntry): void {
    // The same event in the alerts of several entities (one finding) is one row.
    if (this.s.timeline.some((t) => t.eventId === entry.eventId && t.rule === entry.rule)) return;
    this.s.timeline.push(entry);
  }

  private sortTimeline(): void {
    this.s.timeline.sort((a, b) => a.time - b.time);
    if (this.s.timeline.length > this.settings.maxTimeline) this.s.timeline.splice(0, this.s.timeline.length - this.settings.maxTimeline);
  }

  /** Takes over a merged incident's alerts, timeline, playbooks and severity. */
  absorb(merged: MergedIncident, now: number): void {
    if (this.s.mergedFrom.includes(merged.from)) return;
    this.s.mergedFrom.push(merged.from);
    for (const row of merged.alerts) this.addRow(row);
    for (const entry of merged.timeline) this.addTimeline(entry);
    this.sortTimeline();
    for (const p of merged.playbooks) if (!this.s.playbooks.includes(p)) this.s.playbooks.push(p);
    this.s.severity = higherLevel(this.s.severity, merged.severity);
    this.s.updatedAt = now;
    this.record('merged', 'router', now, `absorbed ${merged.from} (${merged.alerts.length} alerts)`);
  }

  /** What this incident hands over when merged into another. */
  handover(): MergedIncident {
    return { from: this.id, alerts: this.s.alerts, timeline: this.s.timeline, playbooks: this.s.playbooks, severity: this.s.severity };
  }

  mergeInto(into: IncidentRef, now: number): void {
    if (this.s.status === 'resolved' || this.s.status === 'merged' || into.id === this.id) return;
    this.s.mergedInto = into;
    this.s.status = 'merged';
    this.s.updatedAt = now;
    this.record('merged', 'router', now, `merged into ${into.id}`);
  }

  mergedInto(): IncidentRef | undefined {
    return this.s.mergedInto;
  }

  validateAcknowledge(input: AcknowledgeIncidentInput): void {
    if (typeof input?.by !== 'string' || input.by === '') reject('by', 'who acknowledges is required');
    if (this.s.status !== 'open') reject('status', `incident ${this.id} is ${this.s.status}, only an open incident can be acknowledged`);
  }

  acknowledge(input: AcknowledgeIncidentInput, now: number): void {
    this.s.status = 'acknowledged';
    this.s.updatedAt = now;
    this.record('acknowledge', input.by, now, `acknowledged${input.note ? `: ${input.note}` : ''}`);
  }

  validateResolve(input: ResolveIncidentInput): void {
    if (typeof input?.by !== 'string' || input.by === '') reject('by', 'who resolves is required');
    if (!(incidentVerdicts as readonly string[]).includes(input.verdict)) reject('verdict', `must be one of ${incidentVerdicts.join(', ')}`);
    if (this.s.status === 'resolved' || this.s.status === 'merged') reject('status', `incident ${this.id} is already ${this.s.status}`);
  }

  resolve(input: ResolveIncidentInput, now: number): void {
    this.s.status = 'resolved';
    this.s.verdict = input.verdict;
    this.s.resolvedAt = now;
    this.s.updatedAt = now;
    this.record('resolve', input.by, now, `resolved as ${input.verdict}${input.note ? `: ${input.note}` : ''}`);
  }

  resolvedAt(): number | undefined {
    return this.s.resolvedAt;
  }

  startedPlaybook(playbook: string): boolean {
    return this.s.playbooks.includes(playbook);
  }

  notePlaybook(workflowId: string): void {
    this.s.playbooks.push(workflowId);
  }

  /** The incident as `on: incident` bindings see it. */
  bindingSubject(): BindingSubject {
    return { rules: this.s.alerts.map((a) => a.rule), level: this.s.severity, sources: [...new Set(this.s.alerts.flatMap((a) => a.sources))] };
  }

  private record(kind: IncidentView['actions'][number]['kind'], by: string, at: number, summary: string): void {
    this.s.actions.push({ kind, by, at, summary });
    if (this.s.actions.length > MAX_ACTIONS) this.s.actions.shift();
  }

  techniques(): string[] {
    return [...new Set(this.s.alerts.flatMap((a) => techniquesOfTags(a.rule.tags)))].slice(0, 50);
  }

  /** Rule names (ids where unnamed), as correlators publish them in RuleNames. */
  ruleNames(): string[] {
    return [...new Set(this.s.alerts.map((a) => a.rule.name ?? a.rule.id))].slice(0, 50);
  }

  view(): IncidentView {
    const { s } = this;
    return {
      tenant: this.tenant,
      id: this.id,
      workflowId: this.workflowId,
      status: s.status,
      ...(s.verdict !== undefined ? { verdict: s.verdict } : {}),
      severity: s.severity,
      tactics: s.tactics,
      entities: s.entities,
      alerts: s.alerts,
      alertCount: s.alertCount,
      timeline: s.timeline,
      playbooks: s.playbooks,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      ...(s.mergedInto !== undefined ? { mergedInto: s.mergedInto } : {}),
      mergedFrom: s.mergedFrom,
      actions: s.actions,
    };
  }
}
