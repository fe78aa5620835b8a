/**
 * Pure correlation-core throughput: detections per second through `correlate` for 1,000 groups and 5 rules
 * (event_count, value_count, temporal, temporal_ordered, value_sum), fed in batches as the correlator workflow
 * receives them, with a little out-of-order jitter inside the lateness allowance, once evaluated on arrival and
 * once with `exactOrder`. No Temporal involved: this is the ceiling the workflow's own overhead is added to
 * (`correlation.core_*`; `correlation.events_per_sec`, through Temporal, is the correlator benchmark's).
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { Packr } from 'msgpackr';
import { benchFigure, type BenchFigure, type BenchOptions } from './support/bench-figure';
import { correlate, initialCorrelationState, type CorrelateOptions } from '../correlation';
import type { Detection } from '../model/detection';
import { parseCorrelationRule, type CorrelationRule } from '../sigma/correlation-rule';

const GROUPS = 1_000;
const DETECTIONS = { full: 200_000, quick: 40_000 };
const BATCH = 100;

function benchRules(): CorrelationRule[] {
  const doc = (name: string, correlation: Record<string, unknown>) =>
    parseCorrelationRule({ title: name, name, correlation: { 'group-by': ['user'], timespan: '5m', ...correlation } }, () => ({}));
  return [
    doc('bench_count', { type: 'event_count', rules: ['r0'], condition: { gte: 50 } }),
    doc('bench_distinct', { type: 'value_count', rules: ['r1'], condition: { field: 'api', gt: 10 } }),
    doc('bench_temporal', { type: 'temporal', rules: ['r2', 'r3'] }),
    doc('bench_ordered', { type: 'temporal_ordered', rules: ['r3', 'r4'] }),
    doc('bench_sum', { type: 'value_sum', rules: ['r4'], condition: { field: 'bytes', gt: 5_000_000 } }),
  ];
}

/** Deterministic detections: 20 per second of event time, spread over GROUPS users and the 5 rules. */
function benchDetections(count: number): Detection[] {
  const out: Detection[] = [];
  let seed = 42;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648);
  for (let i = 0; i < count; i++) {
    const r = next() % 5;
    out.push({
      eventId: `e${i}`,
      tenant: 'bench',
      source: 'cloudtrail',
      time: 1_790_000_000_000 + i * 50 - (next() % 2_000),
      rules: [{ id: `r${r}`, name: `r${r}`, title: `rule ${r}`, level: 'low', tags: [] }],
      entities: [],
      fields: { user: `user-${next() % GROUPS}`, api: `Api${next() % 40}`, bytes: next() % 100_000 },
      summary: '',
      rulesetVersion: 'bench',
    });
  }
  return out;
}

/** Feeds every detection through one state in batches; returns detections/s, hits, late and the final state. */
function measure(rules: CorrelationRule[], detections: Detection[], options: CorrelateOptions) {
  let state = initialCorrelationState();
  let hits = 0;
  let late = 0;
  const start = performance.now();
  for (let i = 0; i < detections.length; i += BATCH) {
    const result = correlate(state, detections.slice(i, i + BATCH), rules, options);
    state = result.state;
    hits += result.hits.length;
    late += result.late.length;
  }
  const seconds = (performance.now() - start) / 1_000;
  return { perSec: Math.round(detections.length / seconds), hits, late, state };
}

export async function run(logger: Logger, options: BenchOptions): Promise<BenchFigure[]> {
  const rules = benchRules();
  const detections = benchDetections(options.quick ? DETECTIONS.quick : DETECTIONS.full);
  const eager = { allowedLatenessMs: 5_000 };
  const exact = { allowedLatenessMs: 5_000, exactOrder: true };
  // Warm-up on separate states so JIT compilation is not measured.
  correlate(initialCorrelationState(), detections.slice(0, 20_000), rules, eager);
  correlate(initialCorrelationState(), detections.slice(0, 20_000), rules, exact);
  const onArrival = measure(rules, detections, eager);
  const inOrder = measure(rules, detections, exact);
  const load = `${detections.length} detections over ${GROUPS} groups and ${rules.length} rules, batches of ${BATCH}, one thread, no Temporal`;
  const figures = [
    benchFigure('correlation.core_events_per_sec', onArrival.perSec, 'events/s', `${load}; evaluated on arrival`),
    benchFigure('correlation.core_exact_order_events_per_sec', inOrder.perSec, 'events/s', `${load}; exactOrder`),
    benchFigure('correlation.core_hits', onArrival.hits, 'hits', `${load}; evaluated on arrival`),
    benchFigure('correlation.core_late', onArrival.late, 'detections', `${load}; evaluated on arrival`),
    benchFigure('correlation.core_state_json_bytes', JSON.stringify(onArrival.state).length, 'bytes', `${load}; final state as JSON`),
    benchFigure('correlation.core_state_msgpack_bytes', new Packr({ useRecords: false }).pack(onArrival.state).length, 'bytes', `${load}; final state as msgpack`),
  ];
  logger.info({ figures }, 'correlation core benchmark');
  return figures;
}
