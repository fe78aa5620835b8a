/**
 * Seeded generator of hostile MQTT payloads for ingest: valid batches in the collectors' own encoding,
 * mutated (bit flips, msgpack type markers such as 64-bit ints and ext types, truncation, insertions,
 * duplicated segments, trailing bytes) or replaced by random bytes. Used by the fuzz test
 * (test/faults/fuzz.test.ts) and the soak benchmark (src/bench/soak.ts); the same seed gives the same stream.
 */

/** mulberry32: small, seeded, good enough to pick mutations. */
export function seededRandom(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes msgpack gives meaning to (containers, nil/bool, bin/ext, floats, 64-bit ints, the never-used 0xc1). */
const markers = [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc7, 0xca, 0xcb, 0xcf, 0xd3, 0xd4, 0xd8, 0xd9, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff];

function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** One hostile payload derived from `base` (a valid encoded batch). */
export function mutatePayload(base: Buffer, rand: () => number): Buffer {
  const at = (b: Buffer): number => Math.floor(rand() * Math.max(1, b.length));
  switch (Math.floor(rand() * 7)) {
    case 0: {
      const b = Buffer.from(base);
      for (let i = 1 + Math.floor(rand() * 3); i > 0; i--) b[at(b)] ^= 1 << Math.floor(rand() * 8);
      return b;
    }
    case 1: {
      const b = Buffer.from(base);
      b[at(b)] = markers[Math.floor(rand() * markers.length)]!;
      return b;
    }
    case 2:
      return base.subarray(0, at(base));
    case 3: {
      const i = at(base);
      return Buffer.concat([base.subarray(0, i), randomBytes(rand, 1 + Math.floor(rand() * 16)), base.subarray(i)]);
    }
    case 4: {
      const i = at(base);
      const j = Math.min(base.length, i + Math.floor(rand() * 64));
      return Buffer.concat([base.subarray(0, j), base.subarray(i, j), base.subarray(j)]);
    }
    case 5:
      return randomBytes(rand, Math.floor(rand() * 512));
    default:
      return Buffer.concat([base, randomBytes(rand, 1 + Math.floor(rand() * 8))]);
  }
}
