import { correlationFromYaml, det, min, runAll, sec } from './helpers';

const rule = (type: string, extra: string) =>
  correlationFromYaml(`title: ${type} rule\nname: ${type}_rule\ncorrelation:\n  type: ${type}\n  timespan: 5m\n${extra}`);

describe('event_count', () => {
  const burst = rule('event_count', '  rules: [login_failed]\n  group-by: [user]\n  condition: { gte: 3 }\n');

  test('fires at the third event of a group within the timespan, with the hit context', () => {
    const { hits } = runAll([burst], [
      det('e1', 0, ['login_failed'], { user: 'alice' }),
      det('e2', 1 * min, ['login_failed'], { user: 'bob' }),
      det('e3', 2 * min, ['login_failed'], { user: 'alice' }),
      det('e4', 3 * min, ['login_failed'], { user: 'alice' }),
    ]);
    expect(hits).toEqual([
      {
        rule: { id: 'event_count_rule', name: 'event_count_rule', title: 'event_count rule', level: 'medium', tags: [] },
        kind: 'correlation',
        type: 'event_count',
        group: { user: 'alice' },
        eventIds: ['e1', 'e3', 'e4'],
        eventCount: 3,
        firstSeen: 0,
        lastSeen: 3 * min,
        value: 3,
      },
    ]);
  });

  test('a window fires once: the hit clears the group, the next hit needs three fresh events', () => {
    const events = [0, 1, 2, 3, 4, 5, 6].map((i) => det(`e${i}`, i * sec, ['login_failed'], { user: 'alice' }));
    expect(runAll([burst], events).hits.map((h) => h.eventIds)).toEqual([
      ['e0', 'e1', 'e2'],
      ['e3', 'e4', 'e5'],
    ]);
  });

  test.each([
    ['exactly the timespan apart: one window', 5 * min, 1],
    ['one ms more: two windows', 5 * min + 1, 0],
  ])('window edge, %s', (_case, last, expected) => {
    const events = [det('a', 0, ['login_failed'], { user: 'u' }), det('b', 1 * min, ['login_failed'], { user: 'u' })];
    events.push(det('c', last, ['login_failed'], { user: 'u' }));
    const pair = rule('event_count', '  rules: [login_failed]\n  group-by: [user]\n  condition: { gte: 3 }\n');
    expect(runAll([pair], events).hits).toHaveLength(expected);
  });

  test('a range condition (gt 1, lte 2) fires at the second event', () => {
    const ranged = rule('event_count', '  rules: [x]\n  group-by: [user]\n  condition: { gt: 1, lte: 2 }\n');
    const { hits } = runAll([ranged], [det('a', 0, ['x'], { user: 'u' }), det('b', 1, ['x'], { user: 'u' })]);
    expect(hits.map((h) => h.value)).toEqual([2]);
  });

  test('an event without the group-by field belongs to no group and is counted as missingField', () => {
    const { hits, state } = runAll([burst], [0, 1, 2].map((i) => det(`e${i}`, i, ['login_failed'], {})));
    expect(hits).toEqual([]);
    expect(state.rules['event_count_rule']!.counters.missingField).toBe(3);
  });

  test('no group-by: one global group', () => {
    const global = rule('event_count', '  rules: [x]\n  condition: { gte: 2 }\n');
    const { hits } = runAll([global], [det('a', 0, ['x'], { user: 'u' }), det('b', 1, ['x'], { user: 'v' })]);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.group).toEqual({});
  });

  test('rules are referenced by id as well as by name; an event matching two referenced rules counts once', () => {
    const both = rule('event_count', '  rules: [id-x, y]\n  condition: { gte: 2 }\n');
    expect(runAll([both], [det('a', 0, ['x', 'y'])]).hits).toEqual([]);
    expect(runAll([both], [det('a', 0, ['x']), det('b', 1, ['y'])]).hits).toHaveLength(1);
  });
});

describe('value_count', () => {
  test('counts distinct values per group; repeats do not count', () => {
    const recon = rule('value_count', '  rules: [api]\n  group-by: [arn]\n  condition: { field: eventName, gt: 2 }\n');
    const names = ['ListUsers', 'ListUsers', 'ListRoles', 'ListRoles', 'DescribeInstances'];
    const { hits } = runAll([recon], names.map((n, i) => det(`e${i}`, i * sec, ['api'], { arn: 'arn:a', eventName: n })));
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ value: 3, eventCount: 5, lastSeen: 4 * sec });
  });

  test('a field list counts distinct combinations', () => {
    const pairs = rule('value_count', '  rules: [c]\n  group-by: [h]\n  condition: { field: [src, dst], gte: 2 }\n');
    const d = (id: string, src: string, dst: string) => det(id, 0, ['c'], { h: 'h', src, dst });
    expect(runAll([pairs], [d('1', 'a', 'b'), d('2', 'a', 'b')]).hits).toEqual([]);
    expect(runAll([pairs], [d('1', 'a', 'b'), d('2', 'b', 'a')]).hits).toHaveLength(1);
  });
});

describe('temporal and temporal_ordered', () => {
  const unordered = rule('temporal', '  rules: [a, b, c]\n  group-by: [host]\n');
  const ordered = rule('temporal_ordered', '  rules: [a, b, c]\n  group-by: [host]\n');
  const seq = (order: string[], step = min) => order.map((r, i) => det(`${r}${i}`, i * step, [r], { host: 'h1' }));

  test('temporal: all rules in any order within the timespan', () => {
    expect(runAll([unordered], seq(['c', 'a', 'b'])).hits).toHaveLength(1);
    expect(runAll([unordered], seq(['c', 'a', 'a'])).hits).toEqual([]);
    expect(runAll([unordered], seq(['a', 'b', 'c'], 3 * min)).hits).toEqual([]);
  });

  test('temporal_ordered: only in the order of rules', () => {
    expect(runAll([ordered], seq(['a', 'b', 'c'])).hits.map((h) => h.eventIds)).toEqual([['a0', 'b1', 'c2']]);
    expect(runAll([ordered], seq(['c', 'a', 'b'])).hits).toEqual([]);
    expect(runAll([ordered], seq(['b', 'a', 'b', 'c'])).hits).toHaveLength(1);
  });

  test('temporal with a count condition: any two of three rules', () => {
    const twoOfThree = rule('temporal', '  rules: [a, b, c]\n  group-by: [host]\n  condition: { gte: 2 }\n');
    expect(runAll([twoOfThree], seq(['c', 'c', 'a'])).hits[0]).toMatchObject({ value: 2, eventIds: ['c0', 'c1', 'a2'] });
  });

  test('temporal with a SEP #198 expression: a and (b or c)', () => {
    const expr = rule('temporal', '  rules: [a, b, c]\n  group-by: [host]\n  condition: a and (b or c)\n');
    expect(runAll([expr], seq(['c', 'a'])).hits).toHaveLength(1);
    expect(runAll([expr], seq(['b', 'c'])).hits).toEqual([]);
  });

  test('groups stay apart', () => {
    const events = [det('1', 0, ['a'], { host: 'h1' }), det('2', 1, ['b'], { host: 'h2' }), det('3', 2, ['c'], { host: 'h1' })];
    expect(runAll([unordered], events).hits).toEqual([]);
  });
});

describe('metric types', () => {
  const values = (vs: Array<number | string>) => vs.map((v, i) => det(`e${i}`, i * sec, ['web'], { ip: '10.0.0.1', bytes: v }));

  test('value_sum: fires when the sum passes the limit; non-numeric values are skipped and counted', () => {
    const exfil = rule('value_sum', '  rules: [web]\n  group-by: [ip]\n  condition: { field: bytes, gt: 1000 }\n');
    const { hits, state } = runAll([exfil], values([400, 'n/a', '700']));
    expect(hits.map((h) => h.value)).toEqual([1100]);
    expect(state.rules['value_sum_rule']!.counters.missingField).toBe(1);
  });

  test('value_avg', () => {
    const avg = rule('value_avg', '  rules: [web]\n  group-by: [ip]\n  condition: { field: bytes, gt: 500 }\n');
    expect(runAll([avg], values([100, 200])).hits).toEqual([]);
    expect(runAll([avg], values([400, 700])).hits.map((h) => h.value)).toEqual([550]);
  });

  test('value_percentile interpolates linearly between ranks', () => {
    const p90 = rule('value_percentile', '  rules: [web]\n  group-by: [ip]\n  condition: { field: bytes, percentile: 90, gte: 91 }\n');
    const hits = runAll([p90], values([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])).hits;
    expect(hits.map((h) => h.value)).toEqual([91]);
  });

  test('value_median', () => {
    const median = rule('value_median', '  rules: [web]\n  group-by: [ip]\n  condition: { field: bytes, gte: 25 }\n');
    expect(runAll([median], values([10, 20])).hits).toEqual([]);
    expect(runAll([median], values([10, 20, 30, 40])).hits.map((h) => h.value)).toEqual([25]);
  });
});
