import { advanceTo, correlate, initialCorrelationState, type CorrelateOptions } from '../../src/correlation';
import type { Detection } from '../../src/model/detection';
import type { CorrelationRule } from '../../src/sigma/correlation-rule';
import { correlationFromYaml, det, min, runAll, sec } from './helpers';

const count = (n: number, timespan = '5m') =>
  correlationFromYaml(`title: c\nname: c\ncorrelation:\n  type: event_count\n  rules: [x]\n  group-by: [user]\n  timespan: ${timespan}\n  condition: { gte: ${n} }\n`);
const ordered = correlationFromYaml(
  'title: o\nname: o\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b, c]\n  group-by: [user]\n  timespan: 5m\n',
);
const x = (id: string, t: number, user = 'u') => det(id, t, ['x'], { user });

describe('event time', () => {
  test('out-of-order within the allowance completes an ordered sequence in event-time order', () => {
    const { hits, late } = runAll([ordered], [det('a', 2 * min, ['a'], { user: 'u' }), det('c', 4 * min, ['c'], { user: 'u' }), det('b', 3 * min, ['b'], { user: 'u' })], { allowedLatenessMs: 2 * min });
    expect(late).toEqual([]);
    expect(hits.map((h) => [h.eventIds, h.firstSeen, h.lastSeen])).toEqual([[['a', 'b', 'c'], 2 * min, 4 * min]]);
  });

  test('an out-of-order event is counted in the window of a later event', () => {
    const { hits } = runAll([count(2)], [x('late-ish', 10 * min), x('early', 6 * min)], { allowedLatenessMs: 5 * min });
    expect(hits.map((h) => h.eventIds)).toEqual([['early', 'late-ish']]);
  });

  test('an out-of-order event outside every window of its neighbours does not fire', () => {
    const { hits } = runAll([count(2)], [x('b', 10 * min), x('a', 10 * min - 5 * min - 1)], { allowedLatenessMs: 6 * min });
    expect(hits).toEqual([]);
  });

  test('an event older than the watermark is late: reported and counted, not used', () => {
    const { hits, late, state } = runAll([count(2)], [x('e1', 10 * min), x('old', 8 * min), x('edge', 9 * min)], {
      allowedLatenessMs: 1 * min,
    });
    expect(late).toEqual([{ eventId: 'old', time: 8 * min, watermark: 9 * min, rules: ['id-x'] }]);
    expect(state.late).toBe(1);
    // exactly at the watermark is still on time
    expect(hits.map((h) => h.eventIds)).toEqual([['edge', 'e1']]);
  });

  test('the same (event id, rule) fed twice counts once; another rule on the same event still counts', () => {
    const both = correlationFromYaml('title: b\nname: b\ncorrelation:\n  type: temporal\n  rules: [x, y]\n  group-by: [user]\n  timespan: 5m\n');
    const { hits, state } = runAll([count(2), both], [x('e1', 0), x('e1', 0), det('e1', 0, ['y'], { user: 'u' })], {
      allowedLatenessMs: min,
    });
    expect(state.duplicates).toBe(1);
    expect(hits.map((h) => h.rule.id)).toEqual(['b']);
  });

  test('a redelivery after the watermark passed its event is reported late, never counted twice', () => {
    const { hits, late, state } = runAll([count(2)], [x('e1', 0), x('other', 10 * min, 'v'), x('e1', 0)], { allowedLatenessMs: 1 * min });
    expect(state.seen.keys).toHaveLength(1);
    expect(late.map((l) => l.eventId)).toEqual(['e1']);
    expect(hits).toEqual([]);
  });

  test('advanceTo drops what no future window can use: an idle correlator keeps almost nothing', () => {
    const { state } = runAll([count(5), ordered], [x('e1', 0), x('e2', 1, 'v'), det('a', 2, ['a'], { user: 'u' })], { allowedLatenessMs: 0 });
    advanceTo(state, 6 * min, [count(5), ordered], { allowedLatenessMs: 0 });
    expect(state.seen.keys).toEqual([]);
    expect(Object.values(state.rules).map((rw) => rw.groupCount)).toEqual([0, 0]);
  });

  test('correlate itself drops groups that went stale once event time has moved on by a timespan', () => {
    const { state } = runAll([count(5)], [x('e1', 0, 'idle'), x('e2', 6 * min, 'busy')], { allowedLatenessMs: 0 });
    expect(Object.values(state.rules['c']!.groups).map((g) => g.group.user)).toEqual(['busy']);
    expect(state.rules['c']!.groupCount).toBe(1);
  });

  test('de-dup memory is bounded by maxSeenKeys: a pair older than the ring is no longer recognised', () => {
    const opts: CorrelateOptions = { allowedLatenessMs: 60 * min, maxSeenKeys: 2 };
    const { hits, state } = runAll([count(2, '1h')], [x('e1', 0, 'a'), x('e2', 1, 'b'), x('e3', 2, 'c'), x('e1', 3, 'a')], opts);
    expect(state.seen.keys).toHaveLength(2);
    expect(hits.map((h) => h.group)).toEqual([{ user: 'a' }]);
  });

  test('maxEventsPerGroup evicts the oldest entries and counts them', () => {
    const { hits, state } = runAll([count(4)], [0, 1, 2, 3].map((i) => x(`e${i}`, i)), { allowedLatenessMs: 0, maxEventsPerGroup: 3 });
    expect(hits).toEqual([]);
    expect(state.rules['c']!.counters.evictedEvents).toBe(1);
    expect(Object.values(state.rules['c']!.groups)[0]!.entries.map((e) => e.ids[0])).toEqual(['e1', 'e2', 'e3']);
  });

  test('maxGroupsPerRule evicts the group with the oldest event and counts it', () => {
    const { state } = runAll([count(5)], [x('1', 0, 'a'), x('2', 1, 'b'), x('3', 2, 'a'), x('4', 3, 'c')], {
      allowedLatenessMs: 60 * min,
      maxGroupsPerRule: 2,
    });
    const rw = state.rules['c']!;
    expect(rw.counters.evictedGroups).toBe(1);
    expect(rw.groupCount).toBe(2);
    expect(Object.values(rw.groups).map((g) => g.group.user).sort()).toEqual(['a', 'c']);
  });

  test('a full rule evicts its oldest tenth of groups at once', () => {
    const users = Array.from({ length: 21 }, (_, i) => x(`e${i}`, i, `user${i}`));
    const { state } = runAll([count(5)], users, { allowedLatenessMs: 60 * min, maxGroupsPerRule: 20 });
    const rw = state.rules['c']!;
    expect([rw.counters.evictedGroups, rw.groupCount]).toEqual([2, 19]);
    expect(Object.values(rw.groups).map((g) => g.group.user)).not.toContain('user0');
    expect(Object.values(rw.groups).map((g) => g.group.user)).not.toContain('user1');
  });

  test('a rule reload keeps windows of unchanged rules and drops those of a rule edited under the same id', () => {
    const first = correlate(initialCorrelationState(), [x('e1', 0), x('e2', 1)], [count(3)], { allowedLatenessMs: 0 });
    const unchanged = correlate(structuredClone(first.state), [x('e3', 2)], [count(3)], { allowedLatenessMs: 0 });
    expect(unchanged.hits.map((h) => h.eventIds)).toEqual([['e1', 'e2', 'e3']]);
    const edited = correlate(structuredClone(first.state), [x('e3', 2)], [count(2)], { allowedLatenessMs: 0 });
    expect(edited.hits).toEqual([]);
    expect(edited.state.rules['c']!.counters.redefined).toBe(1);
  });

  test('batching does not matter: one call or one detection per call give the same hits and state', () => {
    const rules: CorrelationRule[] = [count(3), ordered];
    const events: Detection[] = [];
    for (let i = 0; i < 40; i++) {
      const user = `u${i % 3}`;
      events.push(x(`x${i}`, i * 20 * sec, user), det(`s${i}`, i * 20 * sec + 5, [['a', 'b', 'c'][i % 3]!], { user }));
    }
    const opts = { allowedLatenessMs: 30 * sec };
    const once = correlate(initialCorrelationState(), events, rules, opts);
    let state = initialCorrelationState();
    const stepped = events.flatMap((d) => {
      const r = correlate(state, [d], rules, opts);
      state = r.state;
      return r.hits;
    });
    expect(once.hits.length).toBeGreaterThan(3);
    expect(stepped).toEqual(once.hits);
    expect(state).toEqual(once.state);
  });
});
