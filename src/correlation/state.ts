/**
 * The correlation core's state: plain, versioned data (JSON- and msgpack-safe: no Map, Set, class instances,
 * `undefined` values or non-finite numbers), so the correlator workflow can carry it through continue-as-new and
 * show it in queries. Windows are keyed by the stable correlation rule id, then by group key, so state survives
 * rule reloads that reorder or add rules; a rule edited under the same id starts from empty windows.
 * **Invariant**: `entries` of a group are sorted by time (ties keep arrival order).
 */
import type { Detection } from '../model/detection';
import type { SeenEvents } from './seen-events';

export const correlationStateVersion = 1;

/** One detection (or upstream correlation hit) counted in a window. */
export interface WindowEntry {
  /** Event time, epoch ms. */
  t: number;
  /** Index into the correlation rule's `rules` of the reference this entry matched. */
  r: number;
  /** Contributing event ids: one for a detection, the upstream hit's ids for a chained correlation. */
  ids: string[];
  /** The aggregated value (value_* types), else null. */
  v: string | number | null;
}

/** An absence waiting for its deadline (`t + timespan`): the anchor input and, for a detection, the whole detection. */
export interface PendingAbsence {
  t: number;
  deadline: number;
  ids: string[];
  /** Null when the anchor is an upstream correlation's hit rather than a detection. */
  anchor: Detection | null;
}

export interface GroupWindow {
  /** The group-by values (by group-by name) this window is for. */
  group: Record<string, string>;
  entries: WindowEntry[];
  /** Absence rules only; sorted by anchor time. */
  pending: PendingAbsence[];
  /** Latest event time seen for the group: drives oldest-first group eviction. */
  lastTime: number;
}

export interface RuleCounters {
  hits: number;
  /** Times the rule's windows were dropped because its definition changed under the same id. */
  redefined: number;
  /** Groups dropped because the rule reached `maxGroupsPerRule` (oldest `lastTime` first). */
  evictedGroups: number;
  /** Entries or pending absences dropped because a group reached `maxEventsPerGroup` (oldest first). */
  evictedEvents: number;
  /** Inputs skipped because a group-by or condition field was missing (or not numeric for value_sum/avg/percentile/median). */
  missingField: number;
}

export interface RuleWindows {
  /** The rule definition these windows were built under (see plan.ts `definitionOf`). */
  definition: string;
  groups: Record<string, GroupWindow>;
  groupCount: number;
  counters: RuleCounters;
}

export interface CorrelationState {
  version: typeof correlationStateVersion;
  /** Highest event time accepted, or null before the first detection. */
  maxEventTime: number | null;
  /** Events with time < watermark are late. It only moves forward: max(maxEventTime − allowance, advanceTo). */
  watermark: number | null;
  /** Processing clock: windows, sweeps and absence deadlines are judged at this event time (see correlate.ts). */
  clock: number | null;
  /** exactOrder only: accepted detections not yet evaluated, in event-time order (ties in arrival order). */
  held: Detection[];
  rules: Record<string, RuleWindows>;
  /** The watermark at the last sweep of stale windows, or null before the first. */
  sweptAt: number | null;
  /** A lower bound of every pending absence deadline (exact after each firing pass), or null when none wait. */
  earliestDeadline: number | null;
  seen: SeenEvents;
  duplicates: number;
  late: number;
}

export function initialCorrelationState(): CorrelationState {
  return {
    version: correlationStateVersion,
    maxEventTime: null,
    watermark: null,
    clock: null,
    held: [],
    rules: {},
    earliestDeadline: null,
    sweptAt: null,
    seen: { keys: [], times: [], index: {} },
    duplicates: 0,
    late: 0,
  };
}
