/**
 * Encoding of EventBatch messages on the MQTT wire. Both ends are Vigil, so msgpackr's record
 * extension is used: ~1.6× faster to decode and ~30% smaller than standard MessagePack
 * (shared/notes/limits.md). Each message is self-describing (no shared structures), so a restarted
 * ingest decodes any message.
 *
 * Decoding takes untrusted bytes from any producer and yields only JSON-safe values (see
 * src/model/json-value.ts): a 64-bit integer in an event once made the archive's JSON.stringify throw,
 * which left the message unacknowledged and held every later acknowledgement on its connection.
 */
import { C1, Packr, Unpackr } from 'msgpackr';
import type { EventBatch } from '../model/event';
import { toJsonValue } from '../model/json-value';

/** Nesting bound of a decoded message (the batch envelope and event included); deeper is a decode error. */
export const MAX_NESTING = 128;

const packr = new Packr({ useRecords: true });
const unpackr = new Unpackr({
  useRecords: true,
  // With records on, msgpackr would otherwise decode plain msgpack maps (any other producer's batches)
  // as Map instances, which the schema then rejects.
  mapsAsObjects: true,
  // uint64/int64 within ±2^53 as numbers here (no BigInt allocated); larger ones are BigInt and become
  // decimal strings in toJsonValue. 'auto' exists in msgpackr 2.1.4's unpack.js but not in its typings.
  int64AsType: 'auto' as 'number',
  // No reference/cycle extensions from untrusted input (a cyclic value cannot be serialised).
  structuredClone: false,
});

export function encodeBatch(batch: EventBatch): Buffer {
  return packr.pack(batch);
}

/** Throws on bytes that are not msgpack (or nest deeper than MAX_NESTING); the caller dead-letters with VGL_DLQ_DECODE. */
export function decodeBatch(payload: Buffer): unknown {
  const value: unknown = unpackr.unpack(payload);
  // 0xC1 is "never used" in MessagePack; msgpackr returns a marker object for it instead of failing.
  if (value === C1) throw new Error('0xC1 is not a valid MessagePack type');
  return toJsonValue(value, MAX_NESTING);
}
