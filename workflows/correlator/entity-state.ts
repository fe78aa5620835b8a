/**
 * The state one entity correlator holds, as a class whose handler bodies the thin workflow function
 * delegates to. Everything here is deterministic (time is passed in) and bounded:
 *   - timeline: last `maxTimeline` entries (older ones counted in `timelineDropped`);
 *   - de-duplication memory: last MAX_SEEN_BATCHES batch ids and MAX_SEEN_EVENTS (event, rule) pairs, as fingerprints;
 *   - alerts: at most MAX_OPEN_ALERTS open (beyond it the oldest open one is closed and counted in
 *     `overflowClosedAlerts`) plus the last MAX_CLOSED_ALERTS closed ones;
 *   - repeat-alert suppression keys: expired ones pruned, at most MAX_REPEAT_KEYS (earliest-expiring dropped);
 *   - playbook reports: last MAX_REPORTS; analyst actions: last MAX_ACTIONS;
 *   - known rules, analyst suppressions and verdict counts: one entry per rule at most.
 * `toCarried()` is the continue-as-new payload; it round-trips through msgpack unchanged. With every bound
 * here saturated by an alert storm over 2,500-5,000 groups it stays under Temporal's 2 MiB payload limit
 * (~1.2 MiB; src/bench/correlator-state.ts measures it, test/workflows/entity-state-bounds.test.ts pins it),
 * plus the queue of batches not yet applied, which the correlator carries only once it is at most
 * MAX_CARRIED_BACKLOG_BYTES (task-budget.ts).
 * The largest remaining part is the correlation core's windows, bounded by its own per-rule caps.
 *
 * Analyst updates (verdict, suppress, reset) are validated here synchronously: a rejection throws an
 * ApplicationFailure of type VGL_UPDATE_REJECTED naming the field, so the caller gets a clear error and the
 * update leaves nothing in history.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { CarriedState, CorrelatorSettings, KnownRule } from '../../src/contracts/correlator/input';
import type {
  AnalystAction,
  DetectionBatch,
  EntityStateView,
  ResetInput,
  ResetResult,
  RuleSuppression,
  SuppressInput,
  TimelineEntry,
  VerdictInput,
} from '../../src/contracts/correlator/messages';
import type { CorrelationHit } from '../../src/correlation/hit';
import { initialCorrelationState, type CorrelationState } from '../../src/correlation/state';
import type { ErrorCode } from '../../src/error-codes';
import type { Alert, AlertEvent } from '../../src/model/alert';
import type { Detection, RuleLevel, RuleRef } from '../../src/model/detection';
import { parseDuration } from '../../src/model/duration';
import type { EntityRef } from '../../src/model/entity';
import type { PlaybookReport } from '../../src/model/playbook';
import { techniquesOfTags } from '../../src/response/incident-evidence';
import { payloadSizeBound } from '../../src/temporal/payload-size';
import { fingerprint } from './fingerprint';

const MAX_SEEN_BATCHES = 4096;
const MAX_SEEN_EVENTS = 10_000;
const MAX_OPEN_ALERTS = 200;
const MAX_CLOSED_ALERTS = 50;
const MAX_REPEAT_KEYS = 5_000;
const MAX_REPORTS = 50;
const MAX_ACTIONS = 50;
const MAX_ALERT_EVENTS = 20;
/** Entities an alert names (a correlation over many events could name hundreds). */
const MAX_ALERT_ENTITIES = 50;
const MAX_ATTR_VALUES = 20;
/** Recent detections kept whole, so correlation alerts can show their events' fields. */
const MAX_RECENT_DETECTIONS = 200;

const levelRank: Record<RuleLevel, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };
/** Risk added per matched rule, by level; the score is capped at 100 and decays with `riskHalfLife`. */
const riskWeight: Record<RuleLevel, number> = { informational: 1, low: 3, medium: 10, high: 25, critical: 50 };

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
    overflowClosedAlerts: 0,
    suppressedUntil: {},
    playbooks: [],
    rulesetVersion: '',
    pending: [],
    lastActivity: now,
    correlation: initialCorrelationState(),
    recent: [],
    lateCount: 0,
    suppressions: {},
    suppressedAlerts: 0,
    ruleVerdicts: {},
    analystActions: [],
    knownRules: {},
  };
}

/** Carried state from a run of an older correlator lacks the newer fields: they start empty. */
export function carriedOrEmpty(carried: CarriedState | undefined, now: number): CarriedState {
  return carried === undefined ? emptyCarriedState(now) : { ...emptyCarriedState(now), ...carried };
}

/** Rejects an analyst update: the caller's executeUpdate fails with WorkflowUpdateFailedError carrying this. */
function reject(field: string, reason: string): never {
  const type: ErrorCode = 'VGL_UPDATE_REJECTED';
  throw ApplicationFailure.create({ type, message: `${type}: field ${field}: ${reason}`, nonRetryable: true });
}

/** A record's own entry (rule ids are user text: `constructor` must not find Object.prototype's). */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function requireText(field: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '') reject(field, 'must be a non-empty string');
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
  /** Ids of the queued batches (derived from `pending`, not carried): enqueue's redelivery check in O(1). */
  private readonly pendingIds: Set<string>;

  constructor(
    readonly tenant: string,
    readonly entity: EntityRef,
    readonly workflowId: string,
    private readonly settings: CorrelatorSettings,
    private readonly suppressMs: number,
    private readonly halfLifeMs: number,
    /** The correlator in the Temporal UI; every alert carries it. */
    private readonly link: string,
    private readonly s: CarriedState,
  ) {
    this.seenBatches = new BoundedSet(s.seenBatches, MAX_SEEN_BATCHES);
    this.seenEvents = new BoundedSet(s.seenEvents, MAX_SEEN_EVENTS);
    this.pendingIds = new Set(s.pending.map((b) => b.batchId));
  }

  /** Signal handler body: queue a batch unless it was seen (redelivery) or is already queued. */
  enqueue(batch: DetectionBatch): void {
    if (this.pendingIds.has(batch.batchId) || this.seenBatches.has(fingerprint([batch.batchId]))) return;
    this.s.pending.push(batch);
    this.pendingIds.add(batch.batchId);
  }

  hasPending(): boolean {
    return this.s.pending.length > 0;
  }

  /** The first `max` waiting detections, oldest first; they stay queued until consumePending. */
  peekPending(max: number): Detection[] {
    const out: Detection[] = [];
    for (const batch of this.s.pending) {
      for (const d of batch.detections) {
        if (out.length >= max) return out;
        out.push(d);
      }
    }
    return out;
  }

  /**
   * Dequeues the first `n` waiting detections. A batch dequeued whole is remembered as seen (its redelivery is
   * ignored); a batch dequeued in part keeps its id and the rest of its detections at the head of the queue.
   */
  consumePending(n: number): void {
    let left = n;
    let whole = 0;
    for (const batch of this.s.pending) {
      if (left < batch.detections.length) break;
      left -= batch.detections.length;
      this.seenBatches.add(fingerprint([batch.batchId]));
      this.pendingIds.delete(batch.batchId);
      whole++;
    }
    this.s.pending.splice(0, whole);
    if (left > 0) this.s.pending[0]!.detections.splice(0, left);
  }

  /** Dequeues every waiting detection (benches and unit tests; the workflow takes them within its task budget). */
  takePending(): Detection[] {
    const all = this.peekPending(Infinity);
    this.consumePending(all.length);
    return all;
  }

  /**
   * Whether the queued batches add at most `limit` bytes to the continue-as-new payload (payload-size bound). Stops
   * at the first batch past the limit, so a large queue is not walked whole on every task.
   */
  pendingBytesAtMost(limit: number): boolean {
    let bytes = 5; // the array header
    for (const batch of this.s.pending) {
      bytes += payloadSizeBound(batch);
      if (bytes > limit) return false;
    }
    return true;
  }

  /**
   * Records detections in the timeline and risk, and returns the alerts they raise (one per rule at or
   * above `alertLevel`, unless the same rule alerted for this entity within the suppression period) and the
   * fresh detections: a (event, rule) pair already seen is dropped, so overlapping batches never double-count,
   * and only the fresh remainder goes on to the correlation core.
   */
  applyDetections(detections: Detection[], now: number, alertLevel: RuleLevel, silenced: ReadonlySet<string>): { alerts: Alert[]; fresh: Detection[] } {
    const raised: Alert[] = [];
    const freshDetections: Detection[] = [];
    this.decayRisk(now);
    for (const d of detections) {
      const keyOf = (r: RuleRef) => fingerprint([d.eventId, r.id]);
      const fresh = d.rules.filter((r) => !this.seenEvents.has(keyOf(r)));
      if (fresh.length === 0) continue;
      for (const r of fresh) {
        this.seenEvents.add(keyOf(r));
        this.noteRule(r);
      }
      freshDetections.push(fresh.length === d.rules.length ? d : { ...d, rules: fresh });
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
    return { alerts: raised, fresh: freshDetections };
  }

  /** Creates an alert unless suppressed; `events` are oldest first. */
  raise(kind: Alert['kind'], rule: RuleRef, group: Record<string, string>, events: Detection[], now: number, eventCount = events.length): Alert | undefined {
    if ((own(this.s.suppressions, rule.id)?.until ?? -Infinity) > now) {
      this.s.suppressedAlerts += 1;
      return undefined;
    }
    const groupKey = Object.entries(group).map(([k, v]) => `${k}=${v}`).join('&');
    const suppressKey = fingerprint([rule.id, groupKey]);
    if ((this.s.suppressedUntil[suppressKey] ?? -Infinity) > now) return undefined;
    this.s.suppressedUntil[suppressKey] = now + this.suppressMs;
    const first = events[0]!;
    const last = events[events.length - 1]!;
    const alert: Alert = {
      // Deterministic: the same alert on replay and when a redelivered batch re-raises it.
      id: `alrt-${fingerprint([this.workflowId, rule.id, groupKey, first.eventId, first.time])}`,
      kind,
      tenant: this.tenant,
      entity: this.entity,
      entities: namedEntities(this.entity, events),
      rule,
      group,
      events: events.slice(-MAX_ALERT_EVENTS).map(toAlertEvent),
      eventCount,
      firstSeen: first.time,
      lastSeen: last.time,
      raisedAt: now,
      rulesetVersion: last.rulesetVersion || this.s.rulesetVersion,
      correlatorWorkflowId: this.workflowId,
      link: this.link,
      status: 'open',
    };
    this.s.alerts.push(alert);
    this.s.alertCount += 1;
    const open = this.openAlerts();
    if (open.length > MAX_OPEN_ALERTS) {
      open[0]!.status = 'closed';
      this.s.overflowClosedAlerts += 1;
    }
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
      this.noteRule(hit.rule);
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

  countRejected(n: number): void {
    this.s.rejectedCount = (this.s.rejectedCount ?? 0) + n;
  }

  /** Remembers a rule as nameable by a suppression (correlation rules are noted when the correlator loads them). */
  noteRule(rule: KnownRule): void {
    if (own(this.s.knownRules, rule.id)) return;
    this.s.knownRules[rule.id] = rule.name === undefined ? { id: rule.id, title: rule.title } : { id: rule.id, name: rule.name, title: rule.title };
  }

  validateVerdict(input: VerdictInput): void {
    requireText('by', input.by);
    if (input.verdict !== 'true_positive' && input.verdict !== 'false_positive') reject('verdict', 'must be true_positive or false_positive');
    if (!this.s.alerts.some((a) => a.id === input.alertId)) reject('alertId', `no alert ${String(input.alertId)} on this entity`);
  }

  /** Sets the alert's verdict; a changed verdict moves the rule's count, so counts always match current verdicts. */
  applyVerdict(input: VerdictInput, now: number): Alert {
    const alert = this.s.alerts.find((a) => a.id === input.alertId)!;
    const counts = own(this.s.ruleVerdicts, alert.rule.id) ?? (this.s.ruleVerdicts[alert.rule.id] = { title: alert.rule.title, truePositives: 0, falsePositives: 0 });
    if (alert.status === 'true_positive') counts.truePositives -= 1;
    if (alert.status === 'false_positive') counts.falsePositives -= 1;
    if (input.verdict === 'true_positive') counts.truePositives += 1;
    else counts.falsePositives += 1;
    alert.status = input.verdict;
    this.trimClosedAlerts();
    this.recordAction('verdict', input.by, now, `${input.verdict} on ${alert.id} (${alert.rule.title})${input.note ? `: ${input.note}` : ''}`);
    return alert;
  }

  validateSuppress(input: SuppressInput): void {
    requireText('rule', input.rule);
    requireText('by', input.by);
    requireText('reason', input.reason);
    let ms: number;
    try {
      ms = parseDuration(input.for);
    } catch {
      return reject('for', `'${String(input.for)}' is not a duration such as 30m, 4h, 7d`);
    }
    if (!(ms > 0)) reject('for', 'must be longer than 0');
    if (!this.ruleNamed(input.rule)) reject('rule', `no rule with id or name '${input.rule}' has matched or is evaluated on this entity`);
  }

  /** Alerts of the rule are not raised until `now + for` (a second suppression of the same rule replaces the first). */
  applySuppress(input: SuppressInput, now: number): RuleSuppression {
    const rule = this.ruleNamed(input.rule)!;
    const suppression: RuleSuppression = { ruleId: rule.id, title: rule.title, until: now + parseDuration(input.for), by: input.by, reason: input.reason, at: now };
    this.s.suppressions[rule.id] = suppression;
    this.recordAction('suppress', input.by, now, `suppressed ${rule.name ?? rule.id} for ${input.for}: ${input.reason}`);
    return suppression;
  }

  /** Whether an analyst suppression is in force: until it ends the correlator must not complete (and forget it). */
  suppressing(now: number): boolean {
    return Object.values(this.s.suppressions).some((s) => s.until > now);
  }

  /** Drops ended analyst suppressions and expired repeat-alert keys (bounded to MAX_REPEAT_KEYS, earliest-expiring out first). */
  pruneSuppressions(now: number): void {
    for (const [id, s] of Object.entries(this.s.suppressions)) if (s.until <= now) delete this.s.suppressions[id];
    const repeat = Object.entries(this.s.suppressedUntil).filter(([, until]) => until > now);
    if (repeat.length === Object.keys(this.s.suppressedUntil).length && repeat.length <= MAX_REPEAT_KEYS) return;
    repeat.sort((a, b) => b[1] - a[1]);
    this.s.suppressedUntil = Object.fromEntries(repeat.slice(0, MAX_REPEAT_KEYS));
  }

  validateReset(input: ResetInput): void {
    requireText('by', input.by);
  }

  /**
   * Risk to 0, open alerts closed, correlation windows (and pending absences) emptied, the repeat-alert
   * suppression forgotten (the incident is closed, so a new occurrence alerts). Kept: the timeline, verdict
   * counts, analyst suppressions, and the de-duplication memory and watermark, so a redelivered or late
   * detection stays harmless after a reset.
   */
  applyReset(input: ResetInput, now: number): ResetResult {
    const riskBefore = this.riskScore(now);
    this.s.riskScore = 0;
    this.s.riskUpdatedAt = now;
    const closed = this.openAlerts();
    for (const alert of closed) alert.status = 'closed';
    this.trimClosedAlerts();
    this.s.suppressedUntil = {};
    const c = this.s.correlation;
    for (const rw of Object.values(c.rules)) {
      rw.groups = {};
      rw.groupCount = 0;
    }
    c.held = [];
    c.earliestDeadline = null;
    this.recordAction('reset', input.by, now, `reset: ${closed.length} open alerts closed, risk ${riskBefore} → 0${input.reason ? `: ${input.reason}` : ''}`);
    return { closedAlertIds: closed.map((a) => a.id), riskBefore };
  }

  analystActions(): AnalystAction[] {
    return this.s.analystActions;
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
      this.s.alerts.flatMap((a) => techniquesOfTags(a.rule.tags)),
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
      rejectedDetections: this.s.rejectedCount ?? 0,
      suppressions: Object.fromEntries(Object.entries(this.s.suppressions).filter(([, s]) => s.until > now)),
      suppressedAlerts: this.s.suppressedAlerts,
      overflowClosedAlerts: this.s.overflowClosedAlerts,
      ruleVerdicts: this.s.ruleVerdicts,
      analystActions: this.s.analystActions,
    };
  }

  timeline(): TimelineEntry[] {
    return this.s.timeline;
  }

  toCarried(): CarriedState {
    return this.s;
  }

  private ruleNamed(ref: string): KnownRule | undefined {
    return own(this.s.knownRules, ref) ?? Object.values(this.s.knownRules).find((r) => r.name === ref);
  }

  private recordAction(kind: AnalystAction['kind'], by: string, at: number, summary: string): void {
    this.s.analystActions.push({ kind, by, at, summary });
    if (this.s.analystActions.length > MAX_ACTIONS) this.s.analystActions.shift();
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

/** This entity first, then every other entity the alert's detections name (in order, once each, at most MAX_ALERT_ENTITIES). */
function namedEntities(owner: EntityRef, events: readonly Detection[]): EntityRef[] {
  const out: EntityRef[] = [owner];
  for (const d of events) {
    for (const e of d.entities) {
      if (out.length >= MAX_ALERT_ENTITIES) return out;
      if (!out.some((o) => o.type === e.type && o.id === e.id)) out.push(e);
    }
  }
  return out;
}

/** The most recent distinct values, newest last, at most MAX_ATTR_VALUES (search attribute size). */

function distinctRecent(values: string[]): string[] {
  const out: string[] = [];
  for (let i = values.length - 1; i >= 0 && out.length < MAX_ATTR_VALUES; i--) {
    if (!out.includes(values[i]!)) out.unshift(values[i]!);
  }
  return out;
}
