/**
 * Encoding of EventBatch messages on the MQTT wire. Both ends are Vigil, so msgpackr's record
 * extension is used: ~1.6× faster to decode and ~30% smaller than standard MessagePack
 * (shared/notes/limits.md). Each message is self-describing (no shared structures), so a restarted
 * ingest decodes any message.
 */
import { Packr, Unpackr } from 'msgpackr';
import type { EventBatch } from '../model/event';

const packr = new Packr({ useRecords: true });
const unpackr = new Unpackr({ useRecords: true });

export function encodeBatch(batch: EventBatch): Buffer {
  return packr.pack(batch);
}

/** Throws on bytes that are not msgpack; the caller dead-letters with VGL_DLQ_DECODE. */
export function decodeBatch(payload: Buffer): unknown {
  return unpackr.unpack(payload);
}
