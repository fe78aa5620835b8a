/**
 * The state one entity correlator holds, as a class whose handler bodies the thin workflow function
 * delegates to. Everything here is deterministic (time is passed in) and bounded:
 *   - timeline: last `maxTimeline` entries (older ones counted in `timelineDropped`);
 *   - de-duplication memory: last MAX_SEEN_BATCHES batch ids and MAX_SEEN_EVENTS (event, rule) keys;
 *   - alerts: every open alert plus the last MAX_CLOSED_ALERTS closed ones;
 *   - playbook reports: last MAX_REPORTS.
 * `toCarried()` is the continue-as-new payload; it round-trips through msgpack unchanged.
 */
import type { CorrelationHit } from '../../src/correlation/hit';
import { initialCorrelationState, type CorrelationState } from '../../src/correlation/state';
import type { Alert, AlertEvent } from '../../src/model/alert';
import type { Detection, RuleLevel, RuleRef } from '../../src/model/detection';
import type { EntityRef } from '../../src/model/entity';
import type { PlaybookReport } from '../../src/model/playbook';
import { alertId } from './alert-id';
import type { CorrelatorSettings } from './correlator-input';
import type { DetectionBatch, EntityStateView, TimelineEntry, VerdictInput } from './messages';

const MAX_SEEN_BATCHES = 4096;
const MAX_SEEN_EVENTS = 10_000;
const MAX_CLOSED_ALERTS = 50;
const MAX_REPORTS = 50;
const MAX_ALERT_EVENTS = 20;
const MAX_ATTR_VALUES = 20;
/** Recent detections kept whole, so correlation alerts can show their events' fields. */
const MAX_RECENT_DETECTIONS = 200;

const levelRank: Record<RuleLevel, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };
/** Risk added per matched rule, by level; the score is capped at 100 and decays with `riskHalfLife`. */
const riskWeight: Record<RuleLevel, number> = { informational: 1, low: 3, medium: 10, high: 25, critical: 50 };

export interface CarriedState {
  version: 1;
  riskScore: number;
  riskUpdatedAt: number;
  timeline: TimelineEntry[];
  timelineDropped: number;
  eventCount: number;
  seenBatches: string[];
  seenEvents: string[];
  alerts: Alert[];
  alertCount: number;
  suppressedUntil: Record<string, number>;
  playbooks: PlaybookReport[];
  rulesetVersion: string;
  pending: DetectionBatch[];
  lastActivity: number;
  /** The correlation core's windows (src/correlation), keyed by correlation rule id. */
  correlation: CorrelationState;
  recent: Detection[];
  /** Detections that arrived behind the watermark: reported, not counted in windows. */
  lateCount: number;
}

export function emptyCarriedState(now: number): CarriedState {
  return {
    version: 1,
    riskScore: 0,
    riskUpdatedAt: now,
    timeline: [],
    timelineDropped: 0,
    eventCount: 0,
    seenBatches: [],
    seenEvents: [],
    alerts: [],
    alertCount: 0,
    suppressedUntil: {},
    playbooks: [],
    rulesetVersion: '',
    pending: [],
    lastActivity: now,
    correlation: initialCorrelationState(),
    recent: [],
    lateCount: 0,
  };
}

/** A bounded insertion-ordered set of strings (FIFO eviction), serialised as an array. */
class BoundedSet {
  private readonly set: Set<string>;
  constructor(
    private readonly items: string[],
    private readonly max: number,
  ) {
    this.set = new Set(items);
  }
  has(key: string): boolean {
    return this.set.has(key);
  }
  add(key: string): void {
    if (this.set.has(key)) return;
    this.set.add(key);
    this.items.push(key);
    while (this.items.length > this.max) this.set.delete(this.items.shift()!);
  }
}

export interface NewAlert {
  alert: Alert;
}

export class EntityState {
  private readonly seenBatches: BoundedSet;
  private readonly seenEvents: BoundedSet;

  constructor(
    readonly tenant: string,
    readonly entity: EntityRef,
    readonly workflowId: string,
    private readonly settings: CorrelatorSettings,
    private readonly suppressMs: number,
    private readonly halfLifeMs: number,
    private readonly s: CarriedState,
  ) {
    this.seenBatches = new BoundedSet(s.seenBatches, MAX_SEEN_BATCHES);
    this.seenEvents = new BoundedSet(s.seenEvents, MAX_SEEN_EVENTS);
  }

  /** Signal handler body: queue a batch unless it was seen (redelivery). */
  enqueue(batch: DetectionBatch): void {
    if (this.seenBatches.has(batch.batchId) || this.s.pending.some((p) => p.batchId === batch.batchId)) return;
    this.s.pending.push(batch);
  }

  hasPending(): boolean {
    return this.s.pending.length > 0;
  }

  takePending(): Detection[] {
    const out: Detection[] = [];
    for (const batch of this.s.pending) {
      this.seenBatches.add(batch.batchId);
      out.push(...batch.detections);
    }
    this.s.pending = [];
    return out;
  }

  /**
   * Records detections in the timeline and risk, and returns the alerts they raise: one per rule at or
   * above `alertLevel`, unless the same rule alerted for this entity within the suppression period.
   * A (event, rule) pair already seen is ignored, so overlapping batches never double-count.
   */
  applyDetections(detections: Detection[], now: number, alertLevel: RuleLevel, silenced: ReadonlySet<string>): Alert[] {
    const raised: Alert[] = [];
    this.decayRisk(now);
    for (const d of detections) {
      const fresh = d.rules.filter((r) => !this.seenEvents.has(`${d.eventId}|${r.id}`));
      if (fresh.length === 0) continue;
      for (const r of fresh) this.seenEvents.add(`${d.eventId}|${r.id}`);
      this.s.recent.push(d);
      if (this.s.recent.length > MAX_RECENT_DETECTIONS) this.s.recent.shift();
      this.s.eventCount += 1;
      this.s.lastActivity = now;
      if (d.rulesetVersion) this.s.rulesetVersion = d.rulesetVersion;
      this.pushTimeline({ time: d.time, eventId: d.eventId, source: d.source, rules: fresh.map((r) => r.title), summary: d.summary });
      for (const rule of fresh) {
        this.s.riskScore = Math.min(100, this.s.riskScore + riskWeight[rule.level]);
        if (levelRank[rule.level] < levelRank[alertLevel]) continue;
        // Building blocks of correlations (`generate: false`) speak only through the correlation.
        if (silenced.has(rule.id) || (rule.name !== undefined && silenced.has(rule.name))) continue;
        const alert = this.raise('detection', rule, {}, [d], now);
        if (alert) raised.push(alert);
      }
    }
    return raised;
  }

  /** Creates an alert unless suppressed; `events` are oldest first. */
  raise(kind: Alert['kind'], rule: RuleRef, group: Record<string, string>, events: Detection[], now: number, eventCount = events.length): Alert | undefined {
    const groupKey = Object.entries(group).map(([k, v]) => `${k}=${v}`).join('&');
    const suppressKey = `${rule.id}|${groupKey}`;
    if ((this.s.suppressedUntil[suppressKey] ?? -Infinity) > now) return undefined;
    this.s.suppressedUntil[suppressKey] = now + this.suppressMs;
    const first = events[0]!;
    const last = events[events.length - 1]!;
    const alert: Alert = {
      id: alertId([this.workflowId, rule.id, groupKey, first.eventId, first.time]),
      kind,
      tenant: this.tenant,
      entity: this.entity,
      rule,
      group,
      events: events.slice(-MAX_ALERT_EVENTS).map(toAlertEvent),
      eventCount,
      firstSeen: first.time,
      lastSeen: last.time,
      raisedAt: now,
      rulesetVersion: last.rulesetVersion || this.s.rulesetVersion,
      correlatorWorkflowId: this.workflowId,
      status: 'open',
    };
    this.s.alerts.push(alert);
    this.s.alertCount += 1;
    this.trimClosedAlerts();
    return alert;
  }

  /**
   * Turns correlation hits into alerts (each through suppression). Inner links of a chain whose consumer
   * does not `generate` are counted by the core but raise nothing here (`alerting` decides).
   */
  applyHits(hits: CorrelationHit[], now: number, alerting: (hit: CorrelationHit) => boolean): Alert[] {
    const raised: Alert[] = [];
    for (const hit of hits) {
      if (!alerting(hit)) continue;
      this.s.riskScore = Math.min(100, this.s.riskScore + riskWeight[hit.rule.level]);
      const events = hit.anchor ? [hit.anchor] : hit.eventIds.map((id) => this.s.recent.find((d) => d.eventId === id) ?? placeholderDetection(id, hit));
      const alert = this.raise(hit.kind === 'absence' ? 'absence' : 'correlation', hit.rule, hit.group, events, now, hit.eventCount);
      if (!alert) continue;
      alert.firstSeen = hit.firstSeen;
      alert.lastSeen = hit.lastSeen;
      raised.push(alert);
    }
    return raised;
  }

  correlation(): CorrelationState {
    return this.s.correlation;
  }

  countLate(n: number): void {
    this.s.lateCount += n;
  }

  validateVerdict(input: VerdictInput): void {
    if (!input.by.trim()) throw new Error('verdict needs a non-empty "by"');
    if (!this.s.alerts.some((a) => a.id === input.alertId)) throw new Error(`no alert ${input.alertId} on this entity`);
  }

  applyVerdict(input: VerdictInput): Alert {
    const alert = this.s.alerts.find((a) => a.id === input.alertId)!;
    alert.status = input.verdict;
    this.trimClosedAlerts();
    return alert;
  }

  recordPlaybook(report: PlaybookReport): void {
    this.s.playbooks.push(report);
    if (this.s.playbooks.length > MAX_REPORTS) this.s.playbooks.shift();
  }

  openAlerts(): Alert[] {
    return this.s.alerts.filter((a) => a.status === 'open');
  }

  /** Pure (queries call it): the decayed score at `now`, without storing the decay. */
  riskScore(now: number): number {
    return Math.round(this.s.riskScore * this.decayFactor(now));
  }

  ruleNames(): string[] {
    return distinctRecent(this.s.alerts.map((a) => a.rule.name ?? a.rule.id));
  }

  attackTechniques(): string[] {
    return distinctRecent(
      this.s.alerts.flatMap((a) => a.rule.tags.filter((t) => /^attack\.t\d{4}(\.\d{3})?$/i.test(t)).map((t) => t.slice('attack.'.length).toUpperCase())),
    );
  }

  lastActivity(): number {
    return this.s.lastActivity;
  }

  view(now: number): EntityStateView {
    return {
      tenant: this.tenant,
      entity: this.entity,
      riskScore: this.riskScore(now),
      openAlerts: this.openAlerts(),
      alertCount: this.s.alertCount,
      eventCount: this.s.eventCount,
      timeline: this.s.timeline,
      playbooks: this.s.playbooks,
      rulesetVersion: this.s.rulesetVersion,
      lateEvents: this.s.lateCount,
    };
  }

  timeline(): TimelineEntry[] {
    return this.s.timeline;
  }

  toCarried(): CarriedState {
    return this.s;
  }

  private pushTimeline(entry: TimelineEntry): void {
    this.s.timeline.push(entry);
    // Keep event-time order for readers; late events slot into place.
    for (let i = this.s.timeline.length - 1; i > 0 && this.s.timeline[i - 1]!.time > this.s.timeline[i]!.time; i--) {
      [this.s.timeline[i - 1], this.s.timeline[i]] = [this.s.timeline[i]!, this.s.timeline[i - 1]!];
    }
    while (this.s.timeline.length > this.settings.maxTimeline) {
      this.s.timeline.shift();
      this.s.timelineDropped += 1;
    }
  }

  private decayFactor(now: number): number {
    const dt = now - this.s.riskUpdatedAt;
    return dt > 0 && this.halfLifeMs > 0 ? Math.pow(0.5, dt / this.halfLifeMs) : 1;
  }

  private decayRisk(now: number): void {
    this.s.riskScore *= this.decayFactor(now);
    this.s.riskUpdatedAt = Math.max(this.s.riskUpdatedAt, now);
  }

  private trimClosedAlerts(): void {
    let closed = this.s.alerts.filter((a) => a.status !== 'open').length;
    while (closed > MAX_CLOSED_ALERTS) {
      const i = this.s.alerts.findIndex((a) => a.status !== 'open');
      this.s.alerts.splice(i, 1);
      closed -= 1;
    }
  }
}

/** An event that fell out of the recent-detections memory: its id and the hit's time are all that is left. */
function placeholderDetection(eventId: string, hit: CorrelationHit): Detection {
  return { eventId, tenant: '', source: 'json', time: hit.lastSeen, rules: [], entities: [], fields: {}, summary: '', rulesetVersion: '' };
}

function toAlertEvent(d: Detection): AlertEvent {
  return { id: d.eventId, time: d.time, source: d.source, fields: d.fields };
}

/** The most recent distinct values, newest last, at most MAX_ATTR_VALUES (search attribute size). */
function distinctRecent(values: string[]): string[] {
  const out: string[] = [];
  for (let i = values.length - 1; i >= 0 && out.length < MAX_ATTR_VALUES; i--) {
    if (!out.includes(values[i]!)) out.unshift(values[i]!);
  }
  return out;
}
