/**
 * The sliding WindowMeter gives, window after window, exactly what reading each window whole gives, for every
 * correlation type; and an input arriving out of order costs correlation work linear in its group's window, not
 * quadratic (the cause of the worker crash in issue 8, finding 3).
 */
import { correlate, initialCorrelationState } from '../../src/correlation';
import type { WindowEntry } from '../../src/correlation/state';
import { WindowMeter, withinBounds } from '../../src/correlation/window-measure';
import type { CorrelationRule } from '../../src/sigma/correlation-rule';
import { correlationFromYaml, det, min, sec } from './helpers';

const rule = (type: string, condition: string) =>
  correlationFromYaml(`title: T\nid: t\ncorrelation:\n  type: ${type}\n  rules: [a, b, c]\n  group-by: [host]\n  timespan: 5m\n  condition: ${condition}\n`);

const rules: Array<[string, CorrelationRule]> = [
  ['event_count', rule('event_count', '{ gte: 6 }')],
  ['value_count', rule('value_count', '{ field: user, gt: 3 }')],
  ['temporal', rule('temporal', '{ gte: 3 }')],
  ['temporal (expression)', rule('temporal', 'a and (b or c)')],
  ['temporal_ordered', rule('temporal_ordered', '{ gte: 3 }')],
  ['value_sum', rule('value_sum', '{ field: bytes, gt: 40.5 }')],
  ['value_avg', rule('value_avg', '{ field: bytes, lt: 3.3 }')],
  ['value_percentile', rule('value_percentile', '{ field: bytes, percentile: 90, gte: 8 }')],
  ['value_median', rule('value_median', '{ field: bytes, lte: 4 }')],
];

/** Reads one window whole: the definition the meter must match. */
function reference(r: CorrelationRule, w: WindowEntry[]): { measure: number | null; holds: boolean } {
  const nums = w.map((e) => e.v).filter((v): v is number => typeof v === 'number');
  const pct = (p: number) => {
    if (nums.length === 0) return null;
    const s = [...nums].sort((a, b) => a - b);
    const pos = (p / 100) * (s.length - 1);
    return s[Math.floor(pos)]! + (s[Math.ceil(pos)]! - s[Math.floor(pos)]!) * (pos - Math.floor(pos));
  };
  let next = 0;
  for (const e of w) if (e.r === next) next++;
  const measure = {
    event_count: w.length,
    value_count: new Set(w.map((e) => e.v)).size,
    temporal: new Set(w.map((e) => e.r)).size,
    temporal_ordered: next,
    value_sum: nums.reduce((a, b) => a + b, 0),
    value_avg: nums.length === 0 ? null : nums.reduce((a, b) => a + b, 0) / nums.length,
    value_percentile: pct(r.condition.kind === 'threshold' ? r.condition.percentile : 50),
    value_median: pct(50),
  }[r.type];
  if (r.condition.kind === 'expression') {
    const present = new Set(w.map((e) => r.rules[e.r]!));
    const holds = r.type === 'temporal_ordered' ? measure === r.rules.length : present.has('a') && (present.has('b') || present.has('c'));
    return { measure, holds };
  }
  return { measure, holds: measure !== null && withinBounds(measure, r.condition.bounds) };
}

/** A deterministic pseudo-random sequence (no Math.random: failures must reproduce). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
}

test.each(rules)('%s: every slid window measures as reading it whole', (_, r) => {
  for (let seed = 1; seed <= 20; seed++) {
    const rnd = lcg(seed);
    const entries: WindowEntry[] = Array.from({ length: 60 }, (_, i) => ({
      t: i * 1000,
      r: Math.floor(rnd() * 3),
      ids: [`e${i}`],
      v: r.type === 'value_count' ? `u${Math.floor(rnd() * 6)}` : r.type.startsWith('value_') ? (rnd() < 0.1 ? null : Math.round(rnd() * 100) / 10) : null,
    }));
    const meter = new WindowMeter(r, entries, entries.length);
    let start = Math.floor(rnd() * 5);
    for (let end = start; end < entries.length; end++) {
      start = Math.min(end, start + (rnd() < 0.4 ? Math.floor(rnd() * 4) : 0));
      expect([seed, start, end, meter.evaluate(start, end + 1)]).toEqual([seed, start, end, reference(r, entries.slice(start, end + 1))]);
    }
  }
});

test('a detection arriving out of order re-evaluates its group at linear, not quadratic, cost', () => {
  const burst = rule('value_count', '{ field: user, gt: 10 }');
  const options = { allowedLatenessMs: 2 * min };
  const t0 = 1_796_000_000_000;
  const state = initialCorrelationState();
  // 999 denied calls by one user inside the 5-minute window: one group, one distinct value, never fires.
  const inOrder = Array.from({ length: 999 }, (_, i) => det(`e${i}`, t0 + i * 100, ['a'], { host: 'h', user: 'alice' }));
  correlate(state, inOrder, [burst], options);
  // One more that happened before all of them (still within the allowed lateness): every window after it changes.
  const late = correlate(state, [det('early', t0 - sec, ['a'], { host: 'h', user: 'alice' })], [burst], options);
  expect(late.late).toEqual([]);
  expect(late.hits).toEqual([]);
  expect(state.rules.t!.groups['["h"]']!.entries[0]!.ids).toEqual(['early']); // first of 1,000: every window ending after it re-evaluated
  expect(late.work).toBeLessThan(10 * 1000); // reading each of those windows whole was ~1,000 × 1,000
});
