/** What the correlation core reports: hits (correlations and absences) and late detections. */
import type { Detection, RuleRef } from '../model/detection';
import type { CorrelationType } from '../sigma/correlation-rule';

/**
 * Every hit is reported, including inner links of a chain and hits of correlations whose consumer sets
 * `generate: false`; `raisesOwnAlert(hit.rule, rules)` tells whether it should become an alert of its own.
 */
export interface CorrelationHit {
  rule: RuleRef;
  kind: 'correlation' | 'absence';
  type: CorrelationType;
  /** Group-by values (by group-by name, aliases included). */
  group: Record<string, string>;
  /** Contributing event ids, oldest first, at most `maxHitEventIds`. */
  eventIds: string[];
  /** How many inputs contributed (may exceed `eventIds.length`). */
  eventCount: number;
  firstSeen: number;
  lastSeen: number;
  /** The aggregate compared with the condition: count, distinct count, sum, average, percentile or median. */
  value?: number;
  /** Absence only: the detection that started the wait, whole, so the alert has its context. */
  anchor?: Detection;
}

/** A detection older than the watermark: not counted, reported so nothing is dropped silently. */
export interface LateEvent {
  eventId: string;
  time: number;
  watermark: number;
  /** Ids of the detection rules it matched. */
  rules: string[];
}
