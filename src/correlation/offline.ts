/**
 * `vigil rules eval`'s correlation pass: the same core as the correlator workflow, over a finished input.
 * The whole input is known, so it is evaluated in event-time order (stable for equal times) with no lateness
 * to wait for, and at the end every absence whose window closed at or before the last event time is decided.
 * A live correlator with `exactOrder` gives these hits for any arrival order within its allowance; an eager
 * one gives them whenever detections arrive in event-time order.
 */
import type { Detection } from '../model/detection';
import type { CorrelationRule } from '../sigma/correlation-rule';
import { advanceTo, correlate } from './correlate';
import type { CorrelationHit } from './hit';
import type { CorrelateOptions } from './options';
import { initialCorrelationState } from './state';

export type OfflineOptions = Omit<CorrelateOptions, 'allowedLatenessMs' | 'exactOrder'>;

export function correlateOffline(
  rules: readonly CorrelationRule[],
  detections: readonly Detection[],
  options: OfflineOptions = {},
): CorrelationHit[] {
  const opts: CorrelateOptions = { ...options, allowedLatenessMs: 0 };
  const ordered = [...detections].sort((a, b) => a.time - b.time);
  const { state, hits } = correlate(initialCorrelationState(), ordered, rules, opts);
  if (state.maxEventTime === null) return hits;
  // All input up to maxEventTime is in, so windows ending at or before it are complete.
  return [...hits, ...advanceTo(state, state.maxEventTime + 1, rules, opts).hits];
}
