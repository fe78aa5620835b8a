/**
 * Memory of the (event id, detection rule id) pairs already counted, so a redelivered detection never counts
 * twice. Bounded two ways: pairs whose event time fell behind the watermark are forgotten (a redelivery of such
 * an event is late, so it is reported in `late` and not counted either way), and at most `capacity` pairs are
 * kept (oldest arrival forgotten first). Only a redelivery that comes after more than `capacity` newer pairs and
 * is still not late could count twice. FIFO by arrival in parallel arrays plus a plain-object index (state must
 * stay plain data).
 */
export interface SeenEvents {
  keys: string[];
  /** Event time of each key, same order as `keys`. */
  times: number[];
  index: Record<string, 1>;
}

/** Length-prefixed, so distinct pairs never share a key, and it starts with a digit, so it is never `__proto__`. */
export function seenKey(eventId: string, ruleId: string): string {
  return `${ruleId.length}:${ruleId}:${eventId}`;
}

export function hasSeen(seen: SeenEvents, key: string): boolean {
  return seen.index[key] === 1;
}

export function remember(seen: SeenEvents, key: string, time: number, capacity: number): void {
  seen.keys.push(key);
  seen.times.push(time);
  seen.index[key] = 1;
  while (seen.keys.length > capacity) forgetOldest(seen);
}

/** Forgets pairs from the front while their event time is behind the watermark. */
export function forgetBefore(seen: SeenEvents, watermark: number): void {
  while (seen.times.length > 0 && seen.times[0]! < watermark) forgetOldest(seen);
}

function forgetOldest(seen: SeenEvents): void {
  delete seen.index[seen.keys.shift()!];
  seen.times.shift();
}
