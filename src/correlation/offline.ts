/**
 * `vigil rules eval`'s correlation pass: the same core as the correlator workflow, over a finished input.
 * The whole input is known, so it is processed in event-time order (stable for equal times) and, at the end,
 * every absence whose window closed at or before the last event time is decided.
 */
import type { Detection } from '../model/detection';
import type { CorrelationRule } from '../sigma/correlation-rule';
import { advanceTo, correlate } from './correlate';
import type { CorrelationHit } from './hit';
import type { CorrelateOptions } from './options';
import { initialCorrelationState } from './state';

export function correlateOffline(
  rules: readonly CorrelationRule[],
  detections: readonly Detection[],
  options: Partial<CorrelateOptions> = {},
): CorrelationHit[] {
  const opts: CorrelateOptions = { ...options, allowedLatenessMs: options.allowedLatenessMs ?? 0 };
  const ordered = [...detections].sort((a, b) => a.time - b.time);
  const { state, hits } = correlate(initialCorrelationState(), ordered, rules, opts);
  if (state.maxEventTime === null) return hits;
  // All input up to maxEventTime is in, so windows ending at or before it are complete.
  return [...hits, ...advanceTo(state, state.maxEventTime + 1, rules, opts).hits];
}
