/**
 * What a correlation measures over its windows, and whether that satisfies its condition.
 * Reference: Sigma correlation spec §Correlation Types; percentile by linear interpolation between closest
 * ranks (as rsigma `percentile_linear_interp`), median = percentile 50 (spec: "median is a percentile 50").
 *
 * After an insertion, correlate evaluates the windows ending at entries `at`, `at + 1`, … of one group, and their
 * starts only move forward. A WindowMeter slides over those windows instead of re-reading each one: event_count
 * needs only the bounds, value_count and temporal keep a multiset of the counted key (distinct values, distinct
 * rule indexes), temporal_ordered a next-occurrence table per rule. Each window then costs O(1) amortised (O(rules)
 * for temporal_ordered), so an input that arrives out of order, which re-evaluates up to a whole group's windows,
 * costs O(window) instead of O(window²) (a burst of 10,800 detections arriving a few seconds out of order read
 * ~10^9 entries before this meter). The numeric aggregations (value_sum, value_avg, value_percentile, value_median)
 * still read each window whole: a floating-point sum slid by adding and subtracting drifts from the sum of the same
 * entries added in order, and a result must not depend on the path that computed it. `work` counts the entries
 * read, so the caller can bound what one call may cost.
 */
import type { Bounds, CorrelationRule, RuleExpression } from '../sigma/correlation-rule';
import type { WindowEntry } from './state';

export interface WindowResult {
  /** The window's aggregate for threshold conditions; null when it has no defined value (e.g. avg of nothing). */
  measure: number | null;
  holds: boolean;
}

export class WindowMeter {
  /** Entries read so far (sliding in and out, or whole windows for the numeric types). */
  work = 0;
  /** The multiset of counted keys over entries [lo, hi): value_count and temporal. */
  private readonly counts = new Map<string | number | null, number>();
  private lo = 0;
  private hi = 0;
  /** temporal_ordered: next[j][i - base] = first index ≥ i whose entry matched rule j (or `end` of the table). */
  private next: Int32Array[] | null = null;
  private base = 0;

  constructor(
    private readonly rule: CorrelationRule,
    private readonly entries: readonly WindowEntry[],
    /** One past the last entry any window of this meter can end at (temporal_ordered sizes its table with it). */
    private readonly limit: number,
  ) {}

  /** Measure and condition of the window entries[start, end). **Invariant**: successive calls never move start or end back. */
  evaluate(start: number, end: number): WindowResult {
    const rule = this.rule;
    const measure = this.measure(start, end);
    if (rule.condition.kind === 'expression') {
      if (rule.type === 'temporal_ordered') return { measure, holds: measure === rule.rules.length }; // validated: the and of all rules
      const present = new Set<string>();
      for (const r of this.counts.keys()) present.add(rule.rules[r as number]!);
      return { measure, holds: evaluate(rule.condition.expression, present) };
    }
    return { measure, holds: measure !== null && withinBounds(measure, rule.condition.bounds) };
  }

  private measure(start: number, end: number): number | null {
    switch (this.rule.type) {
      case 'event_count':
        return end - start;
      case 'value_count':
        this.slide(start, end, (e) => e.v);
        return this.counts.size;
      case 'temporal':
        this.slide(start, end, (e) => e.r);
        return this.counts.size;
      case 'temporal_ordered':
        return this.orderedPrefix(start, end);
      case 'value_sum':
        return this.numbers(start, end).reduce((a, b) => a + b, 0);
      case 'value_avg': {
        const values = this.numbers(start, end);
        return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
      }
      case 'value_percentile':
        return percentile(this.numbers(start, end), this.rule.condition.kind === 'threshold' ? this.rule.condition.percentile : 50);
      case 'value_median':
        return percentile(this.numbers(start, end), 50);
    }
  }

  /** Moves the counted range to [start, end), adding and removing one entry at a time. */
  private slide(start: number, end: number, key: (e: WindowEntry) => string | number | null): void {
    if (this.hi <= start) {
      this.counts.clear();
      this.lo = this.hi = start;
    }
    for (; this.hi < end; this.hi++) {
      const k = key(this.entries[this.hi]!);
      this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
      this.work++;
    }
    for (; this.lo < start; this.lo++) {
      const k = key(this.entries[this.lo]!);
      const n = this.counts.get(k)! - 1;
      if (n === 0) this.counts.delete(k);
      else this.counts.set(k, n);
      this.work++;
    }
  }

  /**
   * temporal_ordered: how many of the rules, in `rules` order, occur one after another in the window (greedy
   * earliest match, which is optimal for subsequences). Ties in time count as in order, so one event matching two
   * consecutive rules satisfies both steps.
   */
  private orderedPrefix(start: number, end: number): number {
    const next = this.next ?? this.buildNext(start);
    let p = start;
    for (let j = 0; j < next.length; j++) {
      const q = next[j]![p - this.base]!;
      if (q >= end) return j;
      p = q + 1;
    }
    return next.length;
  }

  /** One backward pass over entries[start, limit): O(rules × window) once per meter. */
  private buildNext(start: number): Int32Array[] {
    const size = this.limit - start + 1;
    const next = this.rule.rules.map(() => new Int32Array(size).fill(this.limit));
    for (let i = this.limit - 1; i >= start; i--) {
      for (let j = 0; j < next.length; j++) next[j]![i - start] = next[j]![i - start + 1]!;
      const r = this.entries[i]!.r;
      if (r < next.length) next[r]![i - start] = i;
    }
    this.work += (this.limit - start) * next.length;
    this.base = start;
    this.next = next;
    return next;
  }

  private numbers(start: number, end: number): number[] {
    const out: number[] = [];
    for (let i = start; i < end; i++) {
      const v = this.entries[i]!.v;
      if (typeof v === 'number') out.push(v);
    }
    this.work += end - start;
    return out;
  }
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

function percentile(values: number[], rank: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (rank / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
