/**
 * Per-rule group windows: find or create a group (evicting the oldest group at the cap), insert an entry in
 * time order (evicting the oldest entry at the cap) and drop entries no future window can contain.
 */
import type { ResolvedOptions } from './options';
import type { GroupWindow, PendingAbsence, RuleWindows, WindowEntry } from './state';

export function ruleWindows(rules: Record<string, RuleWindows>, ruleId: string, definition: string): RuleWindows {
  let rw = rules[ruleId];
  if (!rw) {
    rw = {
      definition,
      groups: {},
      groupCount: 0,
      counters: { hits: 0, evictedGroups: 0, evictedEvents: 0, missingField: 0, redefined: 0 },
    };
    rules[ruleId] = rw;
  }
  return rw;
}

/**
 * Windows built under another definition of the rule (same id, edited type, rules, group-by, timespan,
 * condition or aliases) cannot be read under the new one (entries refer to rules by position), so they are
 * dropped and counted; hit and eviction counters carry over.
 */
export function resetIfRedefined(rw: RuleWindows, definition: string): void {
  if (rw.definition === definition) return;
  rw.definition = definition;
  rw.groups = {};
  rw.groupCount = 0;
  rw.counters.redefined++;
}

/**
 * The group for `key`, created if needed. At `maxGroupsPerRule` stale groups are swept first; if the rule is
 * still full, the oldest tenth of its groups (by latest event time, then key, so eviction is deterministic) is
 * evicted with their entries and pending absences and counted. Evicting a tenth at once (as rsigma does) keeps a
 * flood of new groups from paying a full scan per group.
 */
export function groupWindow(
  rw: RuleWindows,
  key: string,
  group: () => Record<string, string>,
  time: number,
  cutoff: number | null,
  opts: ResolvedOptions,
): GroupWindow {
  const existing = rw.groups[key];
  if (existing) return existing;
  if (rw.groupCount >= opts.maxGroupsPerRule && cutoff !== null) sweepRule(rw, cutoff);
  if (rw.groupCount >= opts.maxGroupsPerRule) {
    const excess = rw.groupCount - opts.maxGroupsPerRule + 1;
    const evict = Math.max(excess, Math.ceil(opts.maxGroupsPerRule / 10));
    const oldest = Object.entries(rw.groups)
      .sort(([ka, a], [kb, b]) => a.lastTime - b.lastTime || (ka < kb ? -1 : 1))
      .slice(0, evict);
    for (const [k] of oldest) delete rw.groups[k];
    rw.groupCount -= oldest.length;
    rw.counters.evictedGroups += oldest.length;
  }
  const created: GroupWindow = { group: group(), entries: [], pending: [], lastTime: time };
  rw.groups[key] = created;
  rw.groupCount++;
  return created;
}

/** Inserts after any entries with the same time (arrival order breaks ties); returns the insert position. */
export function insertEntry(g: GroupWindow, entry: WindowEntry): number {
  let lo = 0;
  let hi = g.entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (g.entries[mid]!.t <= entry.t) lo = mid + 1;
    else hi = mid;
  }
  g.entries.splice(lo, 0, entry);
  g.lastTime = Math.max(g.lastTime, entry.t);
  return lo;
}

/** Inserts a pending absence in anchor-time order. */
export function insertPending(g: GroupWindow, pending: PendingAbsence): void {
  let at = g.pending.length;
  while (at > 0 && g.pending[at - 1]!.t > pending.t) at--;
  g.pending.splice(at, 0, pending);
  g.lastTime = Math.max(g.lastTime, pending.t);
}

/**
 * Keeps entries + pending absences within `maxEventsPerGroup` by evicting the oldest (by event time) and
 * counting each; returns how many entries were removed from the front.
 */
export function enforceGroupCap(rw: RuleWindows, g: GroupWindow, opts: ResolvedOptions): number {
  let shifted = 0;
  while (g.entries.length + g.pending.length > opts.maxEventsPerGroup) {
    const oldestPending = g.pending[0]?.t ?? Infinity;
    if (g.entries.length > 0 && g.entries[0]!.t <= oldestPending) {
      g.entries.shift();
      shifted++;
    } else {
      g.pending.shift();
    }
    rw.counters.evictedEvents++;
  }
  return shifted;
}

/** Drops entries older than `cutoff` (watermark − timespan: no window of a not-late input reaches them). */
export function evictBefore(g: GroupWindow, cutoff: number): void {
  let n = 0;
  while (n < g.entries.length && g.entries[n]!.t < cutoff) n++;
  if (n > 0) g.entries.splice(0, n);
}

/** Evicts stale entries in every group of a rule and deletes groups left with nothing to wait for. */
export function sweepRule(rw: RuleWindows, cutoff: number): void {
  for (const [key, g] of Object.entries(rw.groups)) {
    evictBefore(g, cutoff);
    if (g.entries.length === 0 && g.pending.length === 0) {
      delete rw.groups[key];
      rw.groupCount--;
    }
  }
}
