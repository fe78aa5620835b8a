/**
 * What a correlation measures over one window's entries, and whether that satisfies its condition.
 * Reference: Sigma correlation spec §Correlation Types; percentile by linear interpolation between closest
 * ranks (as rsigma `percentile_linear_interp`), median = percentile 50 (spec: "median is a percentile 50").
 */
import type { Bounds, CorrelationRule, RuleExpression } from '../sigma/correlation-rule';
import type { WindowEntry } from './state';

/** A window: `entries[start]` up to (not including) `entries[end]`, read in place to avoid a copy per evaluation. */
export interface WindowRange {
  entries: readonly WindowEntry[];
  start: number;
  end: number;
}

/** The window's aggregate for threshold conditions; null when it has no defined value (e.g. avg of nothing). */
export function measureWindow(rule: CorrelationRule, w: WindowRange): number | null {
  switch (rule.type) {
    case 'event_count':
      return w.end - w.start;
    case 'value_count':
      return distinct(w, (e) => e.v);
    case 'temporal':
      return distinct(w, (e) => e.r);
    case 'temporal_ordered':
      return orderedPrefix(w);
    case 'value_sum':
      return numbers(w).reduce((a, b) => a + b, 0);
    case 'value_avg': {
      const values = numbers(w);
      return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
    }
    case 'value_percentile':
      return percentile(numbers(w), rule.condition.kind === 'threshold' ? rule.condition.percentile : 50);
    case 'value_median':
      return percentile(numbers(w), 50);
  }
}

export function conditionHolds(rule: CorrelationRule, w: WindowRange, measure: number | null): boolean {
  const condition = rule.condition;
  if (condition.kind === 'expression') {
    if (rule.type === 'temporal_ordered') return measure === rule.rules.length; // validated: the and of all rules
    const present = new Set<string>();
    for (let i = w.start; i < w.end; i++) present.add(rule.rules[w.entries[i]!.r]!);
    return evaluate(condition.expression, present);
  }
  return measure !== null && withinBounds(measure, condition.bounds);
}

export function withinBounds(x: number, b: Bounds): boolean {
  return (
    (b.gt === undefined || x > b.gt) &&
    (b.gte === undefined || x >= b.gte) &&
    (b.lt === undefined || x < b.lt) &&
    (b.lte === undefined || x <= b.lte) &&
    (b.eq === undefined || x === b.eq) &&
    (b.neq === undefined || x !== b.neq)
  );
}

/**
 * temporal_ordered: how many of the rules, in `rules` order, occur one after another (greedy earliest match,
 * which is optimal for subsequences). Ties in time count as in order, so one event matching two consecutive
 * rules satisfies both steps.
 */
function orderedPrefix(w: WindowRange): number {
  let next = 0;
  for (let i = w.start; i < w.end; i++) if (w.entries[i]!.r === next) next++;
  return next;
}

function distinct(w: WindowRange, key: (e: WindowEntry) => unknown): number {
  const seen = new Set<unknown>();
  for (let i = w.start; i < w.end; i++) seen.add(key(w.entries[i]!));
  return seen.size;
}

function evaluate(e: RuleExpression, present: ReadonlySet<string>): boolean {
  switch (e.op) {
    case 'rule':
      return present.has(e.ref);
    case 'not':
      return !evaluate(e.arg, present);
    case 'and':
      return e.args.every((a) => evaluate(a, present));
    case 'or':
      return e.args.some((a) => evaluate(a, present));
  }
}

function numbers(w: WindowRange): number[] {
  const out: number[] = [];
  for (let i = w.start; i < w.end; i++) {
    const v = w.entries[i]!.v;
    if (typeof v === 'number') out.push(v);
  }
  return out;
}

function percentile(values: number[], rank: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (rank / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
