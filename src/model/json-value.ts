/**
 * Makes a value decoded from untrusted MessagePack safe to use as JSON: afterwards it holds only
 * null, booleans, finite numbers, strings, arrays and plain objects, so `JSON.stringify` (archive,
 * dead letters, codec endpoint) can neither throw nor silently change it. Decoders other than ours
 * write what JS cannot hold in JSON: any integer ≥ 2^32 is commonly a uint64 (0xcf), which msgpackr
 * turns into a BigInt, and `JSON.stringify` throws on BigInt.
 *
 * Conversions (documented in README.md, "Wire format"):
 * - 64-bit and big integers: a number when |n| ≤ 2^53 (exact), else its decimal string;
 * - NaN and ±Infinity: null (what JSON would write); timestamps (Date): ISO 8601 string, invalid → null;
 * - binary (Uint8Array/Buffer): base64 string; typed arrays and Sets: arrays; undefined: dropped
 *   from objects, null in arrays; anything else msgpackr's extensions make (RegExp, Error): its string form.
 * Objects and arrays are converted in place (the decoder's fresh output is ours to change).
 */

const MAX_EXACT = 2n ** 53n;

export class JsonValueError extends Error {}

export function bigintToJson(value: bigint): number | string {
  return value <= MAX_EXACT && value >= -MAX_EXACT ? Number(value) : value.toString();
}

/** Converts in place where it can; throws JsonValueError beyond `maxDepth` levels of nesting. */
export function toJsonValue(value: unknown, maxDepth: number): unknown {
  try {
    return convert(value, maxDepth);
  } catch (err) {
    throw err instanceof JsonValueError ? new JsonValueError(`nested deeper than ${maxDepth} levels`) : err;
  }
}

function convert(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return bigintToJson(value);
    case 'undefined':
      return undefined;
    case 'object':
      if (value === null) return null;
      if (depth <= 0) throw new JsonValueError('too deep');
      return convertObject(value, depth - 1);
    default:
      return String(value);
  }
}

/** The common case, checked inline: nothing to convert. */
function isPlainScalar(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function convertObject(value: object, depth: number): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (!isPlainScalar(v)) value[i] = convert(v, depth) ?? null;
    }
    return value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const record = value as Record<string, unknown>;
    for (const key in record) {
      const v = record[key];
      if (isPlainScalar(v)) continue;
      const converted = convert(v, depth);
      if (converted === undefined) delete record[key];
      else if (converted !== v) record[key] = converted;
    }
    return value;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (value instanceof Set || (ArrayBuffer.isView(value) && !(value instanceof DataView))) return convertObject(Array.from(value as Iterable<unknown>), depth);
  return String(value);
}
