import { fieldsNeeded, raisesOwnAlert } from '../../src/correlation';
import { VigilError } from '../../src/error-codes';
import { correlationFromYaml, det, min, runAll } from './helpers';

// Reference: the spec's "Failed Logins Followed by Successful Login" example, with its thresholds scaled down.
const failedBurst = correlationFromYaml(`
title: Multiple failed logons
name: multiple_failed_login
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [User]
  timespan: 10m
  condition: { gte: 3 }
`);
const followedBySuccess = (generate: boolean) =>
  correlationFromYaml(`
title: Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
level: high
correlation:
  type: temporal_ordered
  rules: [multiple_failed_login, successful_login]
  group-by: [User]
  timespan: 10m
  generate: ${generate}
`);
const failed = (id: string, t: number) => det(id, t, ['failed_login'], { User: 'alice' });
const success = (id: string, t: number) => det(id, t, ['successful_login'], { User: 'alice' });

describe('chained correlations', () => {
  test("an inner correlation's hit feeds the outer one, which reports every underlying event", () => {
    const rules = [failedBurst, followedBySuccess(false)];
    const { hits } = runAll(rules, [failed('f1', 0), failed('f2', 1 * min), failed('f3', 2 * min), success('s1', 3 * min)]);
    expect(hits.map((h) => [h.rule.id, h.eventIds, h.firstSeen, h.lastSeen])).toEqual([
      ['multiple_failed_login', ['f1', 'f2', 'f3'], 0, 2 * min],
      ['b180ead8-d58f-40b2-ae54-c8940995b9b6', ['f1', 'f2', 'f3', 's1'], 2 * min, 3 * min],
    ]);
  });

  test('order still matters across the chain', () => {
    const rules = [failedBurst, followedBySuccess(false)];
    const { hits } = runAll(rules, [success('s1', 0), failed('f1', 1 * min), failed('f2', 2 * min), failed('f3', 3 * min)]);
    expect(hits.map((h) => h.rule.id)).toEqual(['multiple_failed_login']);
  });

  test('a cycle between correlations is rejected', () => {
    const a = correlationFromYaml('title: a\nname: ca\ncorrelation: { type: event_count, rules: [cb], timespan: 1m, condition: { gte: 1 } }');
    const b = correlationFromYaml('title: b\nname: cb\ncorrelation: { type: event_count, rules: [ca], timespan: 1m, condition: { gte: 1 } }');
    expect(() => runAll([a, b], [])).toThrow(VigilError);
    expect(() => runAll([a, b], [])).toThrow(/cycle: ca → cb → ca/);
  });
});

describe('generate', () => {
  const detection = (name: string) => ({ id: `id-${name}`, name });

  test('referenced rules alert on their own only when a referencing correlation sets generate: true', () => {
    expect(raisesOwnAlert(detection('failed_login'), [failedBurst, followedBySuccess(false)])).toBe(false);
    expect(raisesOwnAlert(detection('successful_login'), [failedBurst, followedBySuccess(false)])).toBe(false);
    expect(raisesOwnAlert(detection('successful_login'), [failedBurst, followedBySuccess(true)])).toBe(true);
    expect(raisesOwnAlert(detection('unreferenced'), [failedBurst])).toBe(true);
  });

  test("a chain's inner correlation follows its consumer's generate; the outermost always alerts", () => {
    const inner = { id: 'multiple_failed_login', name: 'multiple_failed_login' };
    expect(raisesOwnAlert(inner, [failedBurst, followedBySuccess(false)])).toBe(false);
    expect(raisesOwnAlert(inner, [failedBurst, followedBySuccess(true)])).toBe(true);
    expect(raisesOwnAlert({ id: 'b180ead8-d58f-40b2-ae54-c8940995b9b6' }, [failedBurst, followedBySuccess(false)])).toBe(true);
  });
});

describe('aliases', () => {
  // Reference: the spec's "Field Name Aliases" example.
  const aliased = correlationFromYaml(`
title: Internal error followed by a connection between the same hosts
name: same_pair
correlation:
  type: temporal
  rules: [internal_error, new_network_connection]
  group-by: [internal_ip, remote_ip]
  timespan: 10s
  aliases:
    internal_ip:
      internal_error: destination.ip
      new_network_connection: source.ip
    remote_ip:
      internal_error: source.ip
      new_network_connection: destination.ip
`);
  const error = det('err', 0, ['internal_error'], { 'destination.ip': '10.0.0.5', 'source.ip': '203.0.113.9' });

  test('group-by names resolve to a different field per rule', () => {
    const conn = det('conn', 1000, ['new_network_connection'], { 'source.ip': '10.0.0.5', 'destination.ip': '203.0.113.9' });
    expect(runAll([aliased], [error, conn]).hits.map((h) => h.group)).toEqual([{ internal_ip: '10.0.0.5', remote_ip: '203.0.113.9' }]);
  });

  test('the same field names (no swap) do not correlate', () => {
    const conn = det('conn', 1000, ['new_network_connection'], { 'destination.ip': '10.0.0.5', 'source.ip': '203.0.113.9' });
    expect(runAll([aliased], [error, conn]).hits).toEqual([]);
  });

  test('fieldsNeeded lists the concrete paths ingest must copy, aliases and value fields resolved', () => {
    const sum = correlationFromYaml('title: s\ncorrelation: { type: value_sum, rules: [w], group-by: [user.name], timespan: 1h, condition: { field: bytes, gt: 1 } }');
    expect(fieldsNeeded([aliased, sum])).toEqual(['bytes', 'destination.ip', 'source.ip', 'user.name']);
  });
});
