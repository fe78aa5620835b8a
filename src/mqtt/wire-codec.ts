/**
 * Encoding of EventBatch messages on the MQTT wire. Both ends are Vigil, so msgpackr's record
 * extension is used: ~1.6× faster to decode and ~30% smaller than standard MessagePack
 * (shared/notes/limits.md). Each message is self-describing (no shared structures), so a restarted
 * ingest decodes any message.
 */
import { C1, Packr, Unpackr } from 'msgpackr';
import type { EventBatch } from '../model/event';

const packr = new Packr({ useRecords: true });
// mapsAsObjects: with records on, msgpackr would otherwise decode plain msgpack maps (any other
// producer's batches) as Map instances, which the schema then rejects.
const unpackr = new Unpackr({ useRecords: true, mapsAsObjects: true });

export function encodeBatch(batch: EventBatch): Buffer {
  return packr.pack(batch);
}

/** Throws on bytes that are not msgpack; the caller dead-letters with VGL_DLQ_DECODE. */
export function decodeBatch(payload: Buffer): unknown {
  const value: unknown = unpackr.unpack(payload);
  // 0xC1 is "never used" in MessagePack; msgpackr returns a marker object for it instead of failing.
  if (value === C1) throw new Error('0xC1 is not a valid MessagePack type');
  return value;
}
