/**
 * Bounded memory of (event id, rule id) pairs already counted, so a redelivered detection never counts twice.
 * A ring of the last `capacity` keys plus a plain-object index (state must stay plain data). A pair older than
 * the last `capacity` pairs is forgotten; if it is redelivered after that it is no longer recognised as a
 * duplicate, but it is then normally older than the watermark and reported as late instead of counted.
 * Keys are JSON arrays, so they never collide with each other or with `__proto__`.
 */
export interface SeenRing {
  keys: string[];
  /** Slot the next key overwrites once the ring is full. */
  next: number;
  index: Record<string, 1>;
}

export function seenKey(eventId: string, ruleId: string): string {
  return JSON.stringify([eventId, ruleId]);
}

export function hasSeen(ring: SeenRing, key: string): boolean {
  return ring.index[key] === 1;
}

export function remember(ring: SeenRing, key: string, capacity: number): void {
  if (ring.keys.length < capacity) {
    ring.keys.push(key);
  } else {
    delete ring.index[ring.keys[ring.next]!];
    ring.keys[ring.next] = key;
    ring.next = (ring.next + 1) % capacity;
  }
  ring.index[key] = 1;
}
