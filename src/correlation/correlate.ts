/**
 * The correlation core: detections in, hits out, in event time. Pure and deterministic (no wall clock, no I/O,
 * no randomness), so the correlator workflow and `vigil rules eval` run the same code with the same results.
 * The state passed in is updated in place and returned (copying it per batch would dominate the cost); clone it
 * first if the old value is still needed.
 *
 * Use from the correlator workflow: `correlate` each detection batch; turn hits into alerts where
 * `raisesOwnAlert(hit.rule, rules)`; sleep until `nextDeadline(state, options)` (event time ≈ workflow time) and
 * then `advanceTo(state, Date.now() − allowedLatenessMs, …)`, which also sweeps stale windows before a
 * continue-as-new. `correlateOffline` is the same core for `vigil rules eval`.
 *
 * Semantics (reference: Sigma correlation spec v2.1 §Correlation Types; rsigma `correlation_engine` for the
 * sliding-window cutoff):
 * - Windows slide: each input is evaluated in the window of inputs of its group within `timespan` before it,
 *   both edges inclusive (inputs exactly `timespan` apart are in one window; one ms more and they are not).
 * - (Eager) an input that arrives out of order (but not late) is inserted in time order and every window it falls in,
 *   i.e. those ending at it or at a later input at most `timespan` after it, is re-evaluated, earliest first.
 * - Conditions are checked whenever an input arrives, so `lt`/`lte` hold as soon as a group's first input
 *   arrives (the group a query over the window would return), and `eq` holds at exactly that count.
 * - A window fires once: a hit consumes (clears) every buffered entry of its group, so the next hit needs a
 *   fresh set of inputs (Sigma semantics: one result per matching window, not one per further event).
 * - Watermark = max(highest event time − allowedLatenessMs, advanceTo). Inputs older than it are late: not
 *   counted, returned in `late` and counted in `state.late`.
 * - Two orders of evaluation. Default (eager): an on-time detection is evaluated on arrival, for the lowest
 *   alert latency; with disorder inside the allowance, which inputs a firing window consumes can depend on
 *   arrival order. `exactOrder`: detections are held until the watermark passes them and evaluated in
 *   event-time order, so the hits equal `correlateOffline`'s whatever the arrival order within the allowance,
 *   at up to allowedLatenessMs of extra latency (in event time; `nextDeadline` covers held detections).
 * - Windows, sweeps and absence deadlines follow the processing clock: the watermark (eager) or the time of
 *   the detection being evaluated (exactOrder); advanceTo moves both.
 * - De-dup: an (event id, detection rule id) pair already seen is ignored (see seen-events.ts for the bounds).
 * - Absence (`<A> and not <B>`): A waits until the clock passes A.time + timespan, then fires with A's
 *   whole detection, unless a B of the same group fell in [A.time, A.time + timespan] (temporal_ordered) or
 *   [A.time − timespan, A.time + timespan] (temporal). Each A waits on its own.
 * - Chains: a hit is fed, as an input at its lastSeen time carrying its group values as fields and its event ids,
 *   to every correlation that references the hit's rule by id or name (no lateness check: it is derived).
 */
import type { Detection } from '../model/detection';
import { distinctValue, groupRecord, numericValue, resolveGroup, type Fields } from './group-key';
import {
  enforceGroupCap,
  evictBefore,
  groupWindow,
  insertEntry,
  insertPending,
  resetIfRedefined,
  ruleWindows,
  sweepRule,
} from './group-window';
import type { CorrelationHit, LateEvent } from './hit';
import { resolveOptions, type CorrelateOptions, type ResolvedOptions } from './options';
import { planFor, type CompiledCorrelation, type CorrelationPlan } from './plan';
import { forgetBefore, hasSeen, remember, seenKey } from './seen-events';
import type { CorrelationState, GroupWindow, PendingAbsence, RuleWindows, WindowEntry } from './state';
import { WindowMeter } from './window-measure';
import type { CorrelationRule } from '../sigma/correlation-rule';

export interface CorrelateResult {
  state: CorrelationState;
  hits: CorrelationHit[];
  late: LateEvent[];
  /**
   * What the call cost, in entries and groups read (window evaluations, sweeps, group evictions): deterministic,
   * so a workflow can bound the correlation work of one task by it (workflows/correlator/task-budget.ts).
   */
  work: number;
}

interface Input {
  time: number;
  ids: string[];
  fields: Fields;
  refs: ReadonlyArray<{ id: string; name?: string }>;
  detection: Detection | null;
}

interface Run {
  state: CorrelationState;
  plan: CorrelationPlan;
  opts: ResolvedOptions;
  hits: CorrelationHit[];
  /** See CorrelateResult.work. */
  work: number;
}

export function correlate(
  state: CorrelationState,
  detections: readonly Detection[],
  rules: readonly CorrelationRule[],
  options: CorrelateOptions,
): CorrelateResult {
  const run = startRun(state, rules, options);
  const late: LateEvent[] = [];
  for (const d of detections) {
    const fresh = d.rules.filter((r) => !hasSeen(state.seen, seenKey(d.eventId, r.id)));
    if (fresh.length === 0) {
      state.duplicates++;
      continue;
    }
    if (state.watermark !== null && d.time < state.watermark) {
      // Not remembered: each late delivery is reported, none is counted.
      state.late++;
      late.push({ eventId: d.eventId, time: d.time, watermark: state.watermark, rules: fresh.map((r) => r.id) });
      continue;
    }
    for (const r of fresh) remember(state.seen, seenKey(d.eventId, r.id), d.time, run.opts.maxSeenKeys);
    state.maxEventTime = Math.max(state.maxEventTime ?? d.time, d.time);
    raiseWatermark(state, d.time - run.opts.allowedLatenessMs);
    forgetBefore(state.seen, state.watermark!);
    const accepted = fresh.length === d.rules.length ? d : { ...d, rules: fresh };
    if (run.opts.exactOrder) {
      holdInOrder(state.held, accepted);
      releaseHeld(run);
    } else {
      process(run, accepted, state.watermark!);
    }
  }
  return { state, hits: run.hits, late, work: run.work };
}

/**
 * Evaluates one accepted detection with the processing clock at `clock`: feed it, fire the absences the clock
 * has passed, sweep when due. The clock is the watermark (eager) or the detection's own time (exactOrder).
 */
function process(run: Run, d: Detection, clock: number): void {
  const { state } = run;
  state.clock = Math.max(state.clock ?? clock, clock);
  feed(run, { time: d.time, ids: [d.eventId], fields: d.fields, refs: d.rules, detection: d });
  fireDueAbsences(run);
  // Per detection, not per call, so the state does not depend on how detections were batched.
  if (state.clock - (state.sweptAt ?? -Infinity) >= run.plan.shortestTimespanMs) sweep(run);
}

/** exactOrder: processes, in event-time order, every held detection no on-time arrival can precede any more. */
function releaseHeld(run: Run): void {
  const { state } = run;
  while (state.held.length > 0 && state.held[0]!.time < state.watermark!) {
    const d = state.held.shift()!;
    process(run, d, d.time);
  }
}

function holdInOrder(held: Detection[], d: Detection): void {
  let at = held.length;
  while (at > 0 && held[at - 1]!.time > d.time) at--;
  held.splice(at, 0, d);
}

/**
 * Moves the watermark forward to `watermark` (never back), evaluates held detections it passed (exactOrder),
 * fires absences whose deadline it passed and drops windows it made stale. The correlator calls it from a timer with `now − allowedLatenessMs`, at the time
 * `nextDeadline` names, since event time alone stops advancing when an entity goes quiet.
 */
export function advanceTo(
  state: CorrelationState,
  watermark: number,
  rules: readonly CorrelationRule[],
  options: CorrelateOptions,
): CorrelateResult {
  const run = startRun(state, rules, options);
  raiseWatermark(state, watermark);
  forgetBefore(state.seen, state.watermark!);
  releaseHeld(run);
  state.clock = Math.max(state.clock ?? state.watermark!, state.watermark!);
  fireDueAbsences(run);
  sweep(run);
  return { state, hits: run.hits, late: [], work: run.work };
}

/**
 * The smallest highest-event-time at which something waiting would be decided, or undefined when nothing waits:
 * a pending absence's deadline + allowedLatenessMs + 1, or (exactOrder) a held detection's time +
 * allowedLatenessMs + 1. A timer at this time calling `advanceTo(state, now − allowedLatenessMs)` decides it.
 */
export function nextDeadline(state: CorrelationState, options: CorrelateOptions): number | undefined {
  let earliest = state.held.length > 0 ? state.held[0]!.time : Infinity;
  for (const rw of Object.values(state.rules)) {
    for (const g of Object.values(rw.groups)) for (const p of g.pending) earliest = Math.min(earliest, p.deadline);
  }
  return earliest === Infinity ? undefined : earliest + options.allowedLatenessMs + 1;
}

function startRun(state: CorrelationState, rules: readonly CorrelationRule[], options: CorrelateOptions): Run {
  const plan = planFor(rules);
  for (const c of plan.correlations) {
    const rw = state.rules[c.rule.id];
    if (rw) resetIfRedefined(rw, c.definition);
  }
  return { state, plan, opts: resolveOptions(options), hits: [], work: 0 };
}

/**
 * Drops entries no future window can contain and groups left empty, for every rule of the plan. Runs from
 * advanceTo and, amortised, from correlate once the watermark has moved by the shortest timespan since the last
 * sweep, so idle groups do not pile up between timers. Windows of rules no longer in the plan are kept as they were.
 */
function sweep(run: Run): void {
  const clock = run.state.clock!;
  for (const c of run.plan.correlations) {
    const rw = run.state.rules[c.rule.id];
    if (!rw) continue;
    run.work += rw.groupCount;
    sweepRule(rw, clock - c.rule.timespanMs);
  }
  run.state.sweptAt = clock;
}

function raiseWatermark(state: CorrelationState, candidate: number): void {
  state.watermark = Math.max(state.watermark ?? candidate, candidate);
}

function feed(run: Run, input: Input): void {
  const matched = new Map<number, number[]>();
  for (const ref of input.refs) {
    for (const key of ref.name ? [ref.id, ref.name] : [ref.id]) {
      for (const [ci, ri] of run.plan.listeners.get(key) ?? []) {
        const list = matched.get(ci) ?? [];
        if (!list.includes(ri)) list.push(ri);
        matched.set(ci, list);
      }
    }
  }
  for (const ci of [...matched.keys()].sort((a, b) => a - b)) {
    const c = run.plan.correlations[ci]!;
    const rw = ruleWindows(run.state.rules, c.rule.id, c.definition);
    const ruleIndexes = matched.get(ci)!.sort((a, b) => a - b);
    if (c.rule.absence) for (const ri of ruleIndexes) applyAbsence(run, c, rw, input, ri);
    else applyWindow(run, c, rw, input, ruleIndexes);
  }
}

/** Group of `input` under rule index `ri`, or null (counted) when a group-by field is missing. */
function locateGroup(run: Run, c: CompiledCorrelation, rw: RuleWindows, input: Input, ri: number): GroupWindow | null {
  const resolved = resolveGroup(input.fields, c.groupFields[ri]!);
  if (!resolved) {
    rw.counters.missingField++;
    return null;
  }
  const cutoff = run.state.clock === null ? null : run.state.clock - c.rule.timespanMs;
  const g = groupWindow(rw, resolved.key, () => groupRecord(c.rule.groupBy, resolved.values), input.time, cutoff, run.opts);
  if (cutoff !== null) evictBefore(g, cutoff);
  return g;
}

function entryValue(c: CompiledCorrelation, input: Input, ri: number): string | number | null | undefined {
  const paths = c.valueFields[ri]!;
  if (c.rule.type === 'value_count') return distinctValue(input.fields, paths) ?? undefined;
  if (c.rule.type.startsWith('value_')) return numericValue(input.fields, paths[0]!) ?? undefined;
  return null;
}

function applyWindow(run: Run, c: CompiledCorrelation, rw: RuleWindows, input: Input, ruleIndexes: number[]): void {
  const temporal = c.rule.type === 'temporal' || c.rule.type === 'temporal_ordered';
  for (const ri of ruleIndexes) {
    const v = entryValue(c, input, ri);
    if (v === undefined) {
      rw.counters.missingField++;
      continue;
    }
    const g = locateGroup(run, c, rw, input, ri);
    if (!g) continue;
    const at = insertEntry(g, { t: input.time, r: ri, ids: input.ids, v }) - enforceGroupCap(rw, g, run.opts);
    if (at >= 0) evaluateFrom(run, c, rw, g, at);
    // Count-like types count an input once, under the first rule it matched; temporal types record each rule.
    if (!temporal) return;
  }
}

/**
 * Evaluates the windows ending at entries `at`… that lie within one timespan of entry `at`, earliest first, and
 * fires the first match. One WindowMeter slides over them, so this costs O(window), not O(window²) (window-measure.ts).
 */
function evaluateFrom(run: Run, c: CompiledCorrelation, rw: RuleWindows, g: GroupWindow, at: number): void {
  const span = c.rule.timespanMs;
  const limitTime = g.entries[at]!.t + span;
  let limit = at;
  while (limit < g.entries.length && g.entries[limit]!.t <= limitTime) limit++;
  const meter = new WindowMeter(c.rule, g.entries, limit);
  let start = 0;
  try {
    for (let end = at; end < limit; end++) {
      const endTime = g.entries[end]!.t;
      while (g.entries[start]!.t < endTime - span) start++;
      const { measure, holds } = meter.evaluate(start, end + 1);
      if (holds) {
        const fired = g.entries.slice(start, end + 1);
        g.entries = [];
        emit(run, rw, windowHit(run, c, g, fired, measure));
        return;
      }
    }
  } finally {
    run.work += meter.work + limit;
  }
}

function windowHit(
  run: Run,
  c: CompiledCorrelation,
  g: GroupWindow,
  window: WindowEntry[],
  measure: number | null,
): CorrelationHit {
  const eventIds: string[] = [];
  for (const e of window) {
    for (const id of e.ids) if (eventIds.length < run.opts.maxHitEventIds) eventIds.push(id);
  }
  return {
    rule: c.ref,
    kind: 'correlation',
    type: c.rule.type,
    group: { ...g.group },
    eventIds,
    eventCount: window.length,
    firstSeen: window[0]!.t,
    lastSeen: window[window.length - 1]!.t,
    ...(measure === null ? {} : { value: measure }),
  };
}

function applyAbsence(run: Run, c: CompiledCorrelation, rw: RuleWindows, input: Input, ri: number): void {
  const g = locateGroup(run, c, rw, input, ri);
  if (!g) return;
  const span = c.rule.timespanMs;
  const ordered = c.rule.type === 'temporal_ordered';
  const t = input.time;
  if (c.absentIndex[ri]) {
    insertEntry(g, { t, r: ri, ids: input.ids, v: null });
    g.pending = g.pending.filter((p) => !(t >= (ordered ? p.t : p.t - span) && t <= p.deadline));
  } else {
    const cancelled = g.entries.some((e) => e.t >= (ordered ? t : t - span) && e.t <= t + span);
    if (!cancelled) {
      const pending: PendingAbsence = { t, deadline: t + span, ids: input.ids, anchor: input.detection };
      insertPending(g, pending);
      run.state.earliestDeadline = Math.min(run.state.earliestDeadline ?? pending.deadline, pending.deadline);
    }
  }
  enforceGroupCap(rw, g, run.opts);
}

/** Fires every pending absence whose deadline the processing clock has passed, in deadline order. */
function fireDueAbsences(run: Run): void {
  const { state } = run;
  while (state.clock !== null && state.earliestDeadline !== null && state.clock > state.earliestDeadline) {
    const due: Array<{ ci: number; g: GroupWindow; p: PendingAbsence }> = [];
    let earliest: number | null = null;
    run.plan.correlations.forEach((c, ci) => {
      const rw = c.rule.absence ? state.rules[c.rule.id] : undefined;
      for (const g of Object.values(rw?.groups ?? {})) {
        const keep: PendingAbsence[] = [];
        for (const p of g.pending) {
          if (p.deadline < state.clock!) due.push({ ci, g, p });
          else {
            keep.push(p);
            earliest = Math.min(earliest ?? p.deadline, p.deadline);
          }
        }
        g.pending = keep;
      }
    });
    state.earliestDeadline = earliest;
    due.sort((a, b) => a.p.deadline - b.p.deadline || a.ci - b.ci);
    for (const { ci, g, p } of due) {
      const c = run.plan.correlations[ci]!;
      emit(run, ruleWindows(state.rules, c.rule.id, c.definition), {
        rule: c.ref,
        kind: 'absence',
        type: c.rule.type,
        group: { ...g.group },
        eventIds: p.ids.slice(0, run.opts.maxHitEventIds),
        eventCount: 1,
        firstSeen: p.t,
        lastSeen: p.t,
        ...(p.anchor ? { anchor: p.anchor } : {}),
      });
    }
  }
}

function emit(run: Run, rw: RuleWindows, hit: CorrelationHit): void {
  rw.counters.hits++;
  run.hits.push(hit);
  feed(run, { time: hit.lastSeen, ids: [...hit.eventIds], fields: hit.group, refs: [hit.rule], detection: null });
}
