import { Packr } from 'msgpackr';
import {
  advanceTo,
  correlate,
  correlateOffline,
  initialCorrelationState,
  nextDeadline,
  type CorrelateOptions,
  type CorrelationHit,
  type CorrelationState,
} from '../../src/correlation';
import type { Detection } from '../../src/model/detection';
import type { CorrelationRule } from '../../src/sigma/correlation-rule';
import { correlationFromYaml, det, min, sec } from './helpers';

const rules: CorrelationRule[] = [
  correlationFromYaml('title: burst\nname: burst\ncorrelation: { type: value_count, rules: [api], group-by: [arn], timespan: 5m, condition: { field: eventName, gte: 3 } }'),
  correlationFromYaml('title: seq\nname: seq\ncorrelation: { type: temporal_ordered, rules: [burst, key_created], group-by: [arn], timespan: 10m }'),
  correlationFromYaml('title: gap\nname: gap\ncorrelation: { type: temporal_ordered, rules: [mfa_off, mfa_on], group-by: [arn], timespan: 10m, condition: mfa_off and not mfa_on }'),
  correlationFromYaml('title: avg\nname: avg\ncorrelation: { type: value_avg, rules: [api], group-by: [arn], timespan: 5m, condition: { field: bytes, gt: 800 } }'),
];
const opts = { allowedLatenessMs: 30 * sec };

/** A deterministic mixed stream over three identities, in event-time order. */
function stream(): Detection[] {
  const out: Detection[] = [];
  for (let i = 0; i < 120; i++) {
    const arn = `arn:aws:iam::1:user/u${i % 3}`;
    const t = i * 15 * sec;
    out.push(det(`api${i}`, t, ['api'], { arn, eventName: `Op${i % 5}`, bytes: (i * 137) % 1500 }));
    if (i % 17 === 0) out.push(det(`key${i}`, t + 1, ['key_created'], { arn }));
    if (i % 23 === 0) out.push(det(`off${i}`, t + 2, ['mfa_off'], { arn }));
    if (i % 46 === 0) out.push(det(`on${i}`, t + 3 * min, ['mfa_on'], { arn }));
  }
  return out.sort((a, b) => a.time - b.time);
}

/** Arrival order out of event-time order by less than 20 s: never late with a 30 s allowance. */
function disordered(detections: Detection[]): Detection[] {
  return detections
    .map((d, i) => [d.time + ((i * 7919) % 20_000), d] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, d]) => d);
}

/** A correlator fed in batches of 7, then advanced past the last event as its timer would. */
function live(
  detections: Detection[],
  options: CorrelateOptions = opts,
  roundTrip: (s: CorrelationState) => CorrelationState = (s) => s,
): CorrelationHit[] {
  let state = initialCorrelationState();
  const hits: CorrelationHit[] = [];
  for (let i = 0; i < detections.length; i += 7) {
    const r = correlate(roundTrip(state), detections.slice(i, i + 7), rules, options);
    state = r.state;
    hits.push(...r.hits);
    expect(r.late).toEqual([]);
  }
  return [...hits, ...advanceTo(roundTrip(state), state.maxEventTime! + 1, rules, options).hits];
}

describe('state is plain data', () => {
  const packr = new Packr({ useRecords: false });
  const viaMsgpack = (s: CorrelationState) => packr.unpack(packr.pack(s)) as CorrelationState;
  const viaJson = (s: CorrelationState) => JSON.parse(JSON.stringify(s)) as CorrelationState;

  test.each([
    ['msgpack (useRecords: false)', viaMsgpack],
    ['JSON', viaJson],
  ])('round-trips through %s unchanged, mid-stream with windows, pending absences and the de-dup ring', (_name, trip) => {
    const { state } = correlate(initialCorrelationState(), stream().slice(0, 60), rules, opts);
    expect(Object.values(state.rules['gap']!.groups).some((g) => g.pending.length > 0)).toBe(true);
    expect(state.seen.keys.length).toBeGreaterThan(0);
    expect(trip(state)).toStrictEqual(state);
  });

  test.each([
    ['msgpack', viaMsgpack],
    ['JSON', viaJson],
  ])('a correlator that round-trips its state through %s between batches raises the same hits', (_name, trip) => {
    expect(live(stream(), opts, trip)).toEqual(live(stream()));
    const exact = { ...opts, exactOrder: true };
    expect(live(disordered(stream()), exact, trip)).toEqual(live(disordered(stream()), exact));
  });
});

describe('offline evaluation (`vigil rules eval`) and the live correlator agree', () => {
  test('eager live correlation over detections arriving in event-time order gives exactly the offline hits', () => {
    const offline = correlateOffline(rules, stream());
    expect(new Set(offline.map((h) => h.rule.id))).toEqual(new Set(['burst', 'seq', 'gap', 'avg']));
    expect(live(stream(), { allowedLatenessMs: 0 })).toEqual(offline);
  });

  test('exactOrder live correlation gives exactly the offline hits whatever the arrival order within the allowance', () => {
    const arrival = disordered(stream());
    expect(arrival.map((d) => d.eventId)).not.toEqual(stream().map((d) => d.eventId));
    expect(live(arrival, { ...opts, exactOrder: true })).toEqual(correlateOffline(rules, stream()));
  });

  test('exactOrder holds a detection until the watermark passes it, and nextDeadline says when that is', () => {
    const burst = [rules[0]!];
    const calls = ['Op1', 'Op2', 'Op3'].map((op, i) => det(`c${i}`, i * sec, ['api'], { arn: 'a', eventName: op }));
    const exact = { allowedLatenessMs: 30 * sec, exactOrder: true };
    const r = correlate(initialCorrelationState(), calls, burst, exact);
    expect(r.hits).toEqual([]);
    expect(r.state.held.map((d) => d.eventId)).toEqual(['c0', 'c1', 'c2']);
    expect(nextDeadline(r.state, exact)).toBe(30 * sec + 1);
    expect(advanceTo(r.state, 2 * sec + 1, burst, exact).hits.map((h) => h.eventIds)).toEqual([['c0', 'c1', 'c2']]);
  });

  test('offline sorts by event time, so shuffled input gives the same hits', () => {
    const shuffled = stream().map((d, i) => [((i * 7919) % 263) as number, d] as const).sort((a, b) => a[0] - b[0]).map(([, d]) => d);
    expect(correlateOffline(rules, shuffled)).toEqual(correlateOffline(rules, stream()));
  });

  test('offline decides an absence only when the input covers its whole window', () => {
    const gap = [rules[2]!];
    expect(correlateOffline(gap, [det('off', 0, ['mfa_off'], { arn: 'a' }), det('x', 10 * min - 1, ['api'], { arn: 'a' })])).toEqual([]);
    expect(correlateOffline(gap, [det('off', 0, ['mfa_off'], { arn: 'a' }), det('x', 10 * min, ['api'], {})])).toHaveLength(1);
  });
});
