/**
 * The correlator's rule for hunt results (`origin: 'hunt'`, HUNT_RESULTS_PATCH) at the level of its parts: the
 * signal check keeps a hunt detection only with a hunt id and only in a run that applies the rule, and EntityState
 * records it as a hunt row and alert that stay out of correlation, keep only the risk left after decaying from
 * event time, and never hold back a live alert of the same rule. (Playbooks and notices: test/cli/hunt-to-temporal.test.ts.)
 */
import { checkDetectionBatch } from '../../src/contracts/correlator/batch-check';
import type { Detection } from '../../src/model/detection';
import { parseDuration } from '../../src/model/duration';
import { defaultCorrelatorSettings } from '../../workflows/correlator/correlator';
import { EntityState, emptyCarriedState } from '../../workflows/correlator/entity-state';
import { detection } from './test-rules';

const host = { type: 'host' as const, id: 'web-1' };
const now = Date.parse('2026-12-02T05:00:00Z');
const DAY = 86_400_000;

function hunted(eventId: string, time: number, huntId = 'hunt-1'): Detection {
  return { ...detection('acme', 'v-hunt', eventId, 't_exec', host, time), origin: 'hunt', huntId };
}

function newState(): EntityState {
  const s = defaultCorrelatorSettings;
  return new EntityState('acme', host, 'entity:acme:host:web-1', s, parseDuration(s.suppressFor), parseDuration(s.riskHalfLife), (id) => `http://ui/${id}`, emptyCarriedState(now));
}

describe('checkDetectionBatch and origin', () => {
  const check = (d: unknown, huntResults = true) => checkDetectionBatch({ batchId: 'b1', detections: [d] }, 'acme', { huntResults }).rejected;

  test('live detections and hunt results with an id pass', () => {
    expect(check(detection('acme', 'v', 'e1', 't_exec', host, now))).toEqual([]);
    expect(check(hunted('e1', now))).toEqual([]);
  });

  test.each([
    [{ origin: 'replay', huntId: 'h' }, 'origin'],
    [{ origin: 'hunt' }, 'huntId'],
    [{ origin: 'hunt', huntId: '' }, 'huntId'],
    [{ origin: 'hunt', huntId: 'h'.repeat(129) }, 'huntId'],
    [{ huntId: 'h' }, 'huntId'],
  ])('%j is dropped naming %s', (extra, field) => {
    expect(check({ ...detection('acme', 'v', 'e1', 't_exec', host, now), ...extra })).toEqual([{ index: 0, field, reason: expect.any(String) }]);
  });

  test('a run begun before the hunt rule drops hunt results rather than apply them as live', () => {
    expect(check(hunted('e1', now), false)).toEqual([{ index: 0, field: 'origin', reason: expect.stringContaining('continues as new') }]);
    expect(check(detection('acme', 'v', 'e1', 't_exec', host, now), false)).toEqual([]);
  });
});

describe('EntityState and hunt results', () => {
  test('a hunt row and alert carry the hunt id and stay out of correlation and the rule set version', () => {
    const state = newState();
    const applied = state.applyDetections([hunted('e1', now - 90 * DAY), hunted('e2', now - 90 * DAY + 60_000)], now, 'high', new Set());
    expect(applied.fresh).toEqual([]);
    expect(applied.alerts).toHaveLength(1); // the repeat within the hunt is suppressed
    expect(applied.alerts[0]).toMatchObject({ huntId: 'hunt-1', firstSeen: now - 90 * DAY });
    const view = state.view(now);
    expect(view.timeline.map((t) => [t.eventId, t.huntId])).toEqual([
      ['e1', 'hunt-1'],
      ['e2', 'hunt-1'],
    ]);
    expect(view.eventCount).toBe(2);
    expect(view.rulesetVersion).toBe('');
    expect(view.riskScore).toBe(0);
  });

  test('risk is what is left after decaying from event time: a day-old hit adds half a live one', () => {
    const state = newState();
    state.applyDetections([hunted('e1', now - DAY)], now, 'high', new Set());
    const live = newState();
    live.applyDetections([detection('acme', 'v', 'e1', 't_exec', host, now - DAY)], now, 'high', new Set());
    expect(live.riskScore(now)).toBe(25);
    expect(state.riskScore(now)).toBe(13); // 12.5, rounded
  });

  test("a hunt's alert never suppresses a live alert of the same rule, and a live one does not hide the hunt's", () => {
    const state = newState();
    expect(state.applyDetections([hunted('old-1', now - 30 * DAY)], now, 'high', new Set()).alerts).toHaveLength(1);
    const live = state.applyDetections([detection('acme', 'v', 'new-1', 't_exec', host, now)], now + 1_000, 'high', new Set());
    expect(live.alerts).toHaveLength(1);
    expect(live.alerts[0]!.huntId).toBeUndefined();
    expect(live.fresh).toHaveLength(1);
    expect(state.applyDetections([hunted('old-2', now - 29 * DAY, 'hunt-2')], now + 2_000, 'high', new Set()).alerts).toHaveLength(1);
  });

  test('an event already applied live is not applied again by a hunt', () => {
    const state = newState();
    state.applyDetections([detection('acme', 'v', 'e1', 't_exec', host, now)], now, 'high', new Set());
    expect(state.applyDetections([hunted('e1', now)], now + 1, 'high', new Set())).toEqual({ alerts: [], fresh: [] });
    expect(state.view(now).timeline).toHaveLength(1);
  });
});
