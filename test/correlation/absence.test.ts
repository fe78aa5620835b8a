import { advanceTo, correlate, initialCorrelationState, nextDeadline, type CorrelationState } from '../../src/correlation';
import type { Detection } from '../../src/model/detection';
import type { CorrelationRule } from '../../src/sigma/correlation-rule';
import { correlationFromYaml, det, min } from './helpers';

const absence = (type: 'temporal' | 'temporal_ordered') =>
  correlationFromYaml(`
title: MFA deactivated and not re-enabled
name: mfa_gap
level: high
tags: [attack.defense-evasion]
correlation:
  type: ${type}
  rules: [mfa_off, mfa_on]
  group-by: [user]
  timespan: 10m
  condition: mfa_off and not mfa_on
`);
const opts = { allowedLatenessMs: 1 * min };
const off = (id: string, t: number, user = 'alice') => det(id, t, ['mfa_off'], { user, serial: `mfa-${id}` });
const on = (id: string, t: number, user = 'alice') => det(id, t, ['mfa_on'], { user });
/** Any routed detection: it only moves event time forward. */
const tick = (t: number) => det(`tick-${t}`, t, ['unrelated'], {});

function feed(rules: CorrelationRule[], detections: Detection[]): { state: CorrelationState; hits: string[] } {
  const r = correlate(initialCorrelationState(), detections, rules, opts);
  return { state: r.state, hits: r.hits.map((h) => `${h.kind}:${h.eventIds.join(',')}`) };
}

describe('absence: A not followed by B within T', () => {
  const ordered = absence('temporal_ordered');

  test('never fires before T + allowance has passed in event time', () => {
    const { state, hits } = feed([ordered], [off('a1', 0), tick(5 * min), tick(11 * min)]);
    expect(hits).toEqual([]);
    expect(nextDeadline(state, opts)).toBe(11 * min + 1);
  });

  test('fires once the watermark passes A.time + T, carrying A whole', () => {
    const a1 = off('a1', 0);
    const r = correlate(initialCorrelationState(), [a1, tick(11 * min + 1)], [ordered], opts);
    expect(r.hits).toEqual([
      {
        rule: { id: 'mfa_gap', name: 'mfa_gap', title: 'MFA deactivated and not re-enabled', level: 'high', tags: ['attack.defense-evasion'] },
        kind: 'absence',
        type: 'temporal_ordered',
        group: { user: 'alice' },
        eventIds: ['a1'],
        eventCount: 1,
        firstSeen: 0,
        lastSeen: 0,
        anchor: a1,
      },
    ]);
    expect(nextDeadline(r.state, opts)).toBeUndefined();
  });

  test('advanceTo fires it from a timer when no further event comes', () => {
    const { state } = feed([ordered], [off('a1', 0)]);
    expect(advanceTo(state, 10 * min, [ordered], opts).hits).toEqual([]);
    expect(advanceTo(state, 10 * min + 1, [ordered], opts).hits.map((h) => h.anchor?.eventId)).toEqual(['a1']);
  });

  test.each([
    ['B inside the window', 9 * min, []],
    ['B exactly at A + T (inclusive)', 10 * min, []],
    ['B one ms after the window', 10 * min + 1, ['absence:a1']],
    ['B before A (not "followed by")', -1 * min, ['absence:a1']],
  ])('temporal_ordered, %s', (_case, bTime, expected) => {
    const { state, hits } = feed([ordered], [off('a1', 0), on('b1', bTime)]);
    const later = advanceTo(state, 20 * min, [ordered], opts).hits.map((h) => `${h.kind}:${h.eventIds.join(',')}`);
    expect([...hits, ...later]).toEqual(expected);
  });

  test('temporal (unordered): a B shortly before A also cancels', () => {
    const unordered = absence('temporal');
    const { state, hits } = feed([unordered], [on('b1', 0), off('a1', 2 * min)]);
    expect([...hits, ...advanceTo(state, 60 * min, [unordered], opts).hits]).toEqual([]);
  });

  test('a B arriving out of order (after later events) still cancels', () => {
    const { state, hits } = feed([ordered], [off('a1', 0), tick(10 * min), on('b1', 9 * min + 30 * 1000)]);
    expect([...hits, ...advanceTo(state, 60 * min, [ordered], opts).hits]).toEqual([]);
  });

  test('an A arriving after its B (out of order) never starts waiting', () => {
    const { state, hits } = feed([ordered], [on('b1', 3 * min), off('a1', 2 * min)]);
    expect(hits).toEqual([]);
    expect(nextDeadline(state, opts)).toBeUndefined();
  });

  test("another group's B does not cancel", () => {
    const { state } = feed([ordered], [off('a1', 0), on('b1', 1 * min, 'bob')]);
    expect(advanceTo(state, 60 * min, [ordered], opts).hits.map((h) => h.group)).toEqual([{ user: 'alice' }]);
  });

  test('each A waits on its own: the first fires, the second is cancelled by a later B', () => {
    const { state, hits } = feed([ordered], [off('a1', 0), off('a2', 5 * min), on('b1', 12 * min)]);
    expect([...hits, ...advanceTo(state, 60 * min, [ordered], opts).hits.map((h) => h.eventIds[0])]).toEqual([
      'absence:a1',
    ]);
  });
});
