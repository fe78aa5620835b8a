/**
 * An upper bound of the bytes a plain value takes as a Temporal payload (MessagePack, payload-converter.ts), without
 * encoding it: the router sizes signals with it and the correlator sizes the backlog it may carry through
 * continue-as-new (Temporal refuses any payload over 2 MiB). Pure and dependency-free, so it runs in the workflow
 * sandbox too. **Invariant**: never less than `payloadPackr.pack(value).length` for the plain data Vigil sends
 * (strings, finite numbers, booleans, null/undefined, arrays, plain objects); test/temporal/payload-size.test.ts
 * checks it against the real encoder.
 */

/** UTF-8 bytes of a string, counting each UTF-16 unit of a surrogate pair as 3 (6 ≥ the 4 it takes). */
function utf8Bound(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 ? 2 : 1;
  }
  return n;
}

/** MessagePack header bytes of a str of `len` bytes (fixstr, str8, str16, str32). */
function strHeader(len: number): number {
  return len < 32 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 5;
}

/** MessagePack header bytes of an array of `len` items (fixarray, array16, array32). */
function arrayHeader(len: number): number {
  return len < 16 ? 1 : len < 0x10000 ? 3 : 5;
}

/** Map header bytes: msgpackr writes map16 even for small objects (it reserves the header before counting keys). */
function mapHeader(keys: number): number {
  return keys < 0x10000 ? 3 : 5;
}

export function payloadSizeBound(value: unknown): number {
  switch (typeof value) {
    case 'string': {
      const bytes = utf8Bound(value);
      return strHeader(bytes) + bytes;
    }
    case 'number':
      // Positive/negative fixint in one byte; anything else at most a type byte plus 8.
      return Number.isInteger(value) && value >= -32 && value < 128 ? 1 : 9;
    case 'boolean':
      return 1;
    case 'undefined':
      return 3; // fixext 1 (d4 00 00), msgpackr's undefined
    case 'object': {
      if (value === null) return 1;
      if (Array.isArray(value)) {
        let n = arrayHeader(value.length);
        for (const item of value) n += payloadSizeBound(item);
        return n;
      }
      if (value instanceof Uint8Array) return 5 + value.length;
      let n = 0;
      let keys = 0;
      for (const [k, v] of Object.entries(value)) {
        n += payloadSizeBound(k) + payloadSizeBound(v);
        keys++;
      }
      return mapHeader(keys) + n;
    }
    default:
      // bigint, symbol, function: never in Vigil payloads; bounded generously rather than thrown on.
      return 16;
  }
}
