/**
 * Knobs of the correlation core. Every bound is a count, so state size is bounded whatever the input;
 * hitting one is counted in the state (RuleCounters, duplicates, late), never silent.
 */
export interface CorrelateOptions {
  /** How far behind the highest event time seen an event may be and still be counted (event-time ms). */
  allowedLatenessMs: number;
  /**
   * Hold detections until the watermark passes them and evaluate them in event-time order (hits then equal
   * `correlateOffline` whatever the arrival order within the allowance, up to allowedLatenessMs later).
   * Default false: evaluate on arrival.
   */
  exactOrder?: boolean;
  /** Groups kept per correlation rule; when full, the oldest tenth (by latest event time) is evicted. Default 10,000. */
  maxGroupsPerRule?: number;
  /** Entries (and pending absences) kept per group; beyond it the oldest is evicted. Default 1,000. */
  maxEventsPerGroup?: number;
  /** Most (event id, rule id) pairs remembered for de-duplication (pairs behind the watermark are dropped anyway). Default 10,000. */
  maxSeenKeys?: number;
  /** Event ids carried on one hit (the first ones in time order). Default 50. */
  maxHitEventIds?: number;
}

export type ResolvedOptions = Required<CorrelateOptions>;

export function resolveOptions(options: CorrelateOptions): ResolvedOptions {
  return {
    allowedLatenessMs: options.allowedLatenessMs,
    exactOrder: options.exactOrder ?? false,
    maxGroupsPerRule: options.maxGroupsPerRule ?? 10_000,
    maxEventsPerGroup: options.maxEventsPerGroup ?? 1_000,
    maxSeenKeys: options.maxSeenKeys ?? 10_000,
    maxHitEventIds: options.maxHitEventIds ?? 50,
  };
}
