/**
 * The state one entity correlator holds, as a class whose handler bodies the thin workflow function
 * delegates to. Everything here is deterministic (time is passed in) and bounded:
 *   - timeline: last `maxTimeline` entries (older ones counted in `timelineDropped`);
 *   - de-duplication memory: last MAX_SEEN_BATCHES batch ids and MAX_SEEN_EVENTS (event, rule) pairs, as fingerprints;
 *   - alerts: at most MAX_OPEN_ALERTS open (beyond it the oldest open one is closed and counted in
 *     `overflowClosedAlerts`) plus the last MAX_CLOSED_ALERTS closed ones or shadow rules' would-be alerts;
 *   - rule statistics records not yet handed over: MAX_STATS_OUTBOX;
 *   - repeat-alert suppression keys: expired ones pruned, at most MAX_REPEAT_KEYS (earliest-expiring dropped);
 *   - playbook reports: last MAX_REPORTS; analyst actions: last MAX_ACTIONS; started playbook runs: last MAX_STARTED_PLAYBOOKS;
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
import type { CarriedState, CorrelatorSettings, KnownRule, StartedPlaybook } from '../../src/contracts/correlator/input';
import type {
  AnalystAction,
  DetectionBatch,
  EntityStateView,
  LinkedAlertRef,
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
import { findingEntities, findingOwner, sameEntity } from '../../src/model/finding-owner';
import type { PlaybookReport } from '../../src/model/playbook';
import type { RuleStatsRecord } from '../../src/contracts/rule-stats/messages';
import { techniquesOfTags } from '../../src/response/incident-evidence';
import { payloadSizeBound } from '../../src/temporal/payload-size';
import { correlatorWorkflowId as correlatorWorkflowIdOf } from '../../src/temporal/workflow-ids';
import { fingerprint } from './fingerprint';

const MAX_SEEN_BATCHES = 4096;
const MAX_SEEN_EVENTS = 10_000;
const MAX_OPEN_ALERTS = 200;
const MAX_CLOSED_ALERTS = 50;
const MAX_REPEAT_KEYS = 5_000;
const MAX_REPORTS = 50;
const MAX_ACTIONS = 50;
const MAX_STARTED_PLAYBOOKS = 20;
/** Rule statistics records kept while the recordRuleStats activity keeps failing (the oldest are dropped). */
const MAX_STATS_OUTBOX = 1_000;
const MAX_ALERT_EVENTS = 20;
/** Entities an alert names (a correlation over many events could name hundreds). */
const MAX_ALERT_ENTITIES = 50;
const MAX_ATTR_VALUES = 20;
/** Findings owned by other entities remembered for the entity's view (the timeline rows point to them too). */
const MAX_LINKED_ALERTS = 200;
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
    linkedAlerts: [],
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

/**
 * Carried state from a run of an older correlator lacks the newer fields: they start empty, and its alerts, raised
 * before alerts listed the entities they name, name their own entity.
 */
export function carriedOrEmpty(carried: CarriedState | undefined, now: number): CarriedState {
  if (carried === undefined) return emptyCarriedState(now);
  const state = { ...emptyCarriedState(now), ...carried };
  for (const alert of state.alerts) alert.entities ??= [alert.entity];
  return state;
}

/** A finding's entities in a canonical order: the same finding whatever order its detection named them in. */
function findingKey(entities: readonly EntityRef[]): string {
  return entities.map((e) => `${e.type}:${e.id}`).sort().join('\u0000');
}

/** The repeat-alert suppression key: rule and group, and for one alert per finding the finding's entities. */
function repeatKey(ruleId: string, groupKey: string, finding: readonly EntityRef[] | undefined, huntId?: string): string {
  const key = finding === undefined ? [ruleId, groupKey] : [ruleId, groupKey, findingKey(finding)];
  return fingerprint(huntId === undefined ? key : [...key, 'hunt', huntId]);
}

/** Deterministic: the same alert on replay, when a redelivered batch re-raises it, and where another entity links to it. */
function alertIdOf(correlatorWorkflowId: string, ruleId: string, groupKey: string, eventId: string, time: number): string {
  return `alrt-${fingerprint([correlatorWorkflowId, ruleId, groupKey, eventId, time])}`;
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
  /** Whether alerts and verdicts are recorded for the rule statistics workflow (runs past RULE_STATS_PATCH). */
  private ruleStats = false;

  constructor(
    readonly tenant: string,
    readonly entity: EntityRef,
    readonly workflowId: string,
    private readonly settings: CorrelatorSettings,
    private readonly suppressMs: number,
    private readonly halfLifeMs: number,
    /** A correlator in the Temporal UI by workflow id: every alert carries its own, every linked alert its owner's. */
    private readonly linkOf: (workflowId: string) => string,
    private readonly s: CarriedState,
    /** One alert per finding, in its owner's correlator (false: runs begun before ONE_ALERT_PER_FINDING_PATCH). */
    private readonly oneAlertPerFinding = true,
  ) {
    this.seenBatches = new BoundedSet(s.seenBatches, MAX_SEEN_BATCHES);
    this.seenEvents = new BoundedSet(s.seenEvents, MAX_SEEN_EVENTS);
    this.pendingIds = new Set(s.pending.map((b) => b.batchId));
  }

  /** From now on alerts and verdicts are queued for the rule statistics workflow (takeStatsOutbox). */
  recordRuleStats(): void {
    this.ruleStats = true;
  }

  /** The records waiting for the rule statistics workflow, oldest first; they stay until dropStatsOutbox. */
  statsOutbox(): RuleStatsRecord[] {
    return this.s.statsOutbox ?? [];
  }

  /** Forgets the first `n` outbox records (handed over). */
  dropStatsOutbox(n: number): void {
    this.s.statsOutbox?.splice(0, n);
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
   * Records detections in the timeline and risk, and returns the alerts they raise and the fresh detections: a
   * (event, rule) pair already seen is dropped, so overlapping batches never double-count, and only the fresh
   * remainder goes on to the correlation core. A rule at or above `alertLevel` raises one alert per finding: here
   * when this entity owns it (src/model/finding-owner.ts; the entities a detection names plus this one), unless the
   * same finding (rule and entities) alerted here within the suppression period; otherwise the owner's correlator
   * raises it, and this one links to it (timeline row, `linkedAlerts`). Without `oneAlertPerFinding` (runs begun before it) every entity a
   * detection reaches raises its own.
   *
   * A hunt result (`origin: 'hunt'`, batch-check.ts lets one through only in runs that apply the hunt rule) is a
   * past event found by a new rule: its row and its alerts carry the hunt id, its risk is what is left of it after
   * decaying from its event time (a months-old event adds nothing), and it is not returned as fresh: it stays out
   * of the correlation windows, whose watermark is live event time (it would be late, or drag the watermark back).
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
      const huntId = d.origin === 'hunt' ? d.huntId : undefined;
      if (huntId === undefined) {
        freshDetections.push(fresh.length === d.rules.length ? d : { ...d, rules: fresh });
        this.s.recent.push(d);
        if (this.s.recent.length > MAX_RECENT_DETECTIONS) this.s.recent.shift();
        if (d.rulesetVersion) this.s.rulesetVersion = d.rulesetVersion;
      }
      this.s.eventCount += 1;
      this.s.lastActivity = now;
      const owner = this.oneAlertPerFinding ? findingOwner([...d.entities, this.entity])! : this.entity;
      // Runs begun before one alert per finding keep their repeat keys (rule and group only) and alert entities.
      const finding = this.oneAlertPerFinding ? findingEntities(owner, d.entities) : undefined;
      const linked: LinkedAlertRef[] = [];
      // A live event counts whole; a hunted one as much as would be left of it had it been seen when it happened.
      const weight = huntId === undefined ? 1 : this.decayFactor(now, d.time);
      for (const rule of fresh) {
        // A shadow rule's match is evidence nobody has reviewed: it adds no risk.
        if (!rule.shadow) this.s.riskScore = Math.min(100, this.s.riskScore + riskWeight[rule.level] * weight);
        if (levelRank[rule.level] < levelRank[alertLevel]) continue;
        // Building blocks of correlations (`generate: false`) speak only through the correlation.
        if (silenced.has(rule.id) || (rule.name !== undefined && silenced.has(rule.name))) continue;
        if (sameEntity(owner, this.entity)) {
          const alert = this.raise('detection', rule, {}, [d], now, 1, finding, huntId);
          if (alert) raised.push(alert);
        } else linked.push(this.linkTo(finding!, rule, d, now));
      }
      const shadowRules = fresh.filter((r) => r.shadow).map((r) => r.title);
      const entry: TimelineEntry = { time: d.time, eventId: d.eventId, source: d.source, rules: fresh.map((r) => r.title), ...(shadowRules.length > 0 ? { shadowRules } : {}), summary: d.summary };
      const row = linked.length > 0 ? { ...entry, linkedAlerts: linked } : entry;
      this.pushTimeline(huntId === undefined ? row : { ...row, huntId });
    }
    return { alerts: raised, fresh: freshDetections };
  }

  /**
   * Points to the alert the owner (`finding[0]`) raises for `rule` on `d`, its id derived as raise() derives it there.
   * The owner raises no second alert for the same finding (rule and entities) within the suppression period, so
   * neither is a second one linked here: within it, the event points to the alert linked first.
   */
  private linkTo(finding: EntityRef[], rule: RuleRef, d: Detection, now: number): LinkedAlertRef {
    const owner = finding[0]!;
    const correlatorWorkflowId = correlatorWorkflowIdOf(this.tenant, owner);
    const linkedAlerts = (this.s.linkedAlerts ??= []);
    const key = repeatKey(rule.id, '', finding);
    if ((this.s.suppressedUntil[key] ?? -Infinity) > now) {
      const same = findingKey(finding);
      for (let i = linkedAlerts.length - 1; i >= 0; i--) {
        const earlier = linkedAlerts[i]!;
        if (earlier.correlatorWorkflowId === correlatorWorkflowId && earlier.rule.id === rule.id && findingKey(earlier.entities) === same) return { alertId: earlier.alertId, correlatorWorkflowId };
      }
    }
    this.s.suppressedUntil[key] = now + this.suppressMs;
    const ref: LinkedAlertRef = { alertId: alertIdOf(correlatorWorkflowId, rule.id, '', d.eventId, d.time), correlatorWorkflowId };
    linkedAlerts.push({ ...ref, owner, entities: finding, rule, eventId: d.eventId, time: d.time, link: this.linkOf(correlatorWorkflowId) });
    if (linkedAlerts.length > MAX_LINKED_ALERTS) linkedAlerts.shift();
    return ref;
  }

  /**
   * Creates an alert unless suppressed; `events` are oldest first. `finding`: every entity a detection names, owner
   * first (one alert per finding): it is the alert's `entities` and part of its repeat key, so the other entities can
   * mirror the owner's repeat suppression. Without it (correlations, runs begun before) the key is rule and group.
   * A hunt's alert (`huntId`) repeats only within its hunt: it has a repeat key of its own, so it never holds back a
   * live alert of the same rule.
   */
  raise(kind: Alert['kind'], rule: RuleRef, group: Record<string, string>, events: Detection[], now: number, eventCount = events.length, finding?: EntityRef[], huntId?: string): Alert | undefined {
    if ((own(this.s.suppressions, rule.id)?.until ?? -Infinity) > now) {
      this.s.suppressedAlerts += 1;
      return undefined;
    }
    const groupKey = Object.entries(group).map(([k, v]) => `${k}=${v}`).join('&');
    const suppressKey = repeatKey(rule.id, groupKey, finding, huntId);
    if ((this.s.suppressedUntil[suppressKey] ?? -Infinity) > now) return undefined;
    this.s.suppressedUntil[suppressKey] = now + this.suppressMs;
    const first = events[0]!;
    const last = events[events.length - 1]!;
    const alert: Alert = {
      id: alertIdOf(this.workflowId, rule.id, groupKey, first.eventId, first.time),
      kind,
      tenant: this.tenant,
      entity: this.entity,
      entities: finding ?? findingEntities(this.entity, events.flatMap((e) => e.entities)).slice(0, MAX_ALERT_ENTITIES),
      rule,
      group,
      events: events.slice(-MAX_ALERT_EVENTS).map(toAlertEvent),
      eventCount,
      firstSeen: first.time,
      lastSeen: last.time,
      raisedAt: now,
      rulesetVersion: last.rulesetVersion || this.s.rulesetVersion,
      correlatorWorkflowId: this.workflowId,
      link: this.linkOf(this.workflowId),
      status: 'open',
      ...(huntId === undefined ? {} : { huntId }),
      ...(rule.shadow ? { shadow: true } : {}),
    };
    this.s.alerts.push(alert);
    if (!alert.shadow) this.s.alertCount += 1;
    this.queueStats({ kind: 'alert', alertId: alert.id, ruleId: rule.id, title: rule.title, shadow: alert.shadow === true, correlatorWorkflowId: this.workflowId, at: now });
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
      if (!hit.rule.shadow) this.s.riskScore = Math.min(100, this.s.riskScore + riskWeight[hit.rule.level]);
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
    if (this.s.alerts.some((a) => a.id === input.alertId)) return;
    const linked = this.s.linkedAlerts?.find((a) => a.alertId === input.alertId);
    if (linked) reject('alertId', `alert ${linked.alertId} is owned by ${linked.correlatorWorkflowId}: give the verdict there`);
    reject('alertId', `no alert ${String(input.alertId)} on this entity`);
  }

  /** Sets the alert's verdict; a changed verdict moves the rule's count, so counts always match current verdicts. */
  applyVerdict(input: VerdictInput, now: number): Alert {
    const alert = this.s.alerts.find((a) => a.id === input.alertId)!;
    const counts = own(this.s.ruleVerdicts, alert.rule.id) ?? (this.s.ruleVerdicts[alert.rule.id] = { title: alert.rule.title, truePositives: 0, falsePositives: 0 });
    if (alert.status === 'true_positive') counts.truePositives -= 1;
    if (alert.status === 'false_positive') counts.falsePositives -= 1;
    if (input.verdict === 'true_positive') counts.truePositives += 1;
    else counts.falsePositives += 1;
    this.queueStats({
      kind: 'verdict',
      alertId: alert.id,
      ruleId: alert.rule.id,
      title: alert.rule.title,
      verdict: input.verdict,
      previous: alert.status,
      correlatorWorkflowId: this.workflowId,
      at: now,
    });
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

  /** Remembers a playbook run an alert of this entity started or was attached to (the entity card links it). */
  recordStartedPlaybook(started: StartedPlaybook): void {
    const list = (this.s.startedPlaybooks ??= []);
    list.push(started);
    if (list.length > MAX_STARTED_PLAYBOOKS) list.shift();
  }

  startedPlaybooks(): readonly StartedPlaybook[] {
    return this.s.startedPlaybooks ?? [];
  }

  /** Other entities named by the recent detections, most recently seen first, at most `max`. */
  relatedEntities(max: number): EntityRef[] {
    const out: EntityRef[] = [];
    const seen = new Set([`${this.entity.type}:${this.entity.id}`]);
    for (let i = this.s.recent.length - 1; i >= 0 && out.length < max; i--) {
      for (const ref of this.s.recent[i]!.entities) {
        const key = `${ref.type}:${ref.id}`;
        if (seen.has(key) || out.length >= max) continue;
        seen.add(key);
        out.push(ref);
      }
    }
    return out;
  }

  /** Open live alerts (a shadow rule's would-be alerts are never among them: they notify and hold nothing). */
  openAlerts(): Alert[] {
    return this.s.alerts.filter(isOpenLive);
  }

  alert(alertId: string): Alert | undefined {
    return this.s.alerts.find((a) => a.id === alertId);
  }

  /** Pure (queries call it): the decayed score at `now`, without storing the decay. */
  riskScore(now: number): number {
    return Math.round(this.s.riskScore * this.decayFactor(now));
  }

  ruleNames(): string[] {
    return distinctRecent(this.liveAlerts().map((a) => a.rule.name ?? a.rule.id));
  }

  attackTechniques(): string[] {
    return distinctRecent(
      this.liveAlerts().flatMap((a) => techniquesOfTags(a.rule.tags)),
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
      shadowAlerts: this.s.alerts.filter((a) => a.shadow),
      linkedAlerts: this.s.linkedAlerts ?? [],
      eventCount: this.s.eventCount,
      queuedDetections: this.s.pending.reduce((n, batch) => n + batch.detections.length, 0),
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

  private liveAlerts(): Alert[] {
    return this.s.alerts.filter((a) => !a.shadow);
  }

  private queueStats(record: RuleStatsRecord): void {
    if (!this.ruleStats) return;
    const outbox = (this.s.statsOutbox ??= []);
    outbox.push(record);
    if (outbox.length > MAX_STATS_OUTBOX) outbox.shift();
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

  /** How much of a score set at `since` is left at `now`. */
  private decayFactor(now: number, since = this.s.riskUpdatedAt): number {
    const dt = now - since;
    return dt > 0 && this.halfLifeMs > 0 ? Math.pow(0.5, dt / this.halfLifeMs) : 1;
  }

  private decayRisk(now: number): void {
    this.s.riskScore *= this.decayFactor(now);
    this.s.riskUpdatedAt = Math.max(this.s.riskUpdatedAt, now);
  }

  /** Closed alerts and shadow rules' would-be alerts share one bound: the last MAX_CLOSED_ALERTS of them are kept. */
  private trimClosedAlerts(): void {
    let closed = this.s.alerts.filter((a) => !isOpenLive(a)).length;
    while (closed > MAX_CLOSED_ALERTS) {
      const i = this.s.alerts.findIndex((a) => !isOpenLive(a));
      this.s.alerts.splice(i, 1);
      closed -= 1;
    }
  }
}

function isOpenLive(alert: Alert): boolean {
  return alert.status === 'open' && !alert.shadow;
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
