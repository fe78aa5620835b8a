/**
 * Reading a segment: its index (the sealed one, or rebuilt by scanning frames when the segment was
 * never sealed), and the NDJSON text of a block. Every frame's CRC is checked on both paths. A scan
 * stops at the first frame that is incomplete or fails its check and reports it as the segment's
 * fault: after a crash mid-write that is the torn tail (the frame whose append never resolved, so no
 * event in it was acknowledged; the broker redelivers them and they are written again elsewhere).
 * Everything before the fault reads normally.
 */
import { isAscii } from 'node:buffer';
import { constants, inflateRawSync } from 'node:zlib';
import { checkFrame, FRAME_HEADER_BYTES, readFrameHeader, type FrameFault } from './segment-frame';
import { IndexBuilder, SegmentIndexSchema, type SegmentBlock, type SegmentIndex } from './segment-index';
import type { SegmentStore, StoredObject } from './segment-store';

const READ_CHUNK_BYTES = 1024 * 1024;

/** The sealed index when there is a valid one for the segment's current size, else a scan. */
export async function segmentIndex(store: SegmentStore, segment: StoredObject, index: StoredObject | undefined): Promise<SegmentIndex> {
  if (index) {
    const bytes = await store.read(index.key, 0, index.size);
    if (bytes) {
      const parsed = SegmentIndexSchema.safeParse(parseJsonText(bytes.toString('utf8')));
      // A sealed segment never grows, so an index describing fewer bytes than there are is stale or foreign: scan.
      if (parsed.success && parsed.data.bytes === segment.size) return parsed.data;
    }
  }
  return scanSegment(store, segment);
}

/** Rebuilds the index from the frames, reading the segment sequentially in bounded chunks. */
export async function scanSegment(store: SegmentStore, segment: StoredObject): Promise<SegmentIndex> {
  const reader = new WindowReader(store, segment.key);
  const builder = new IndexBuilder(segment.key);
  let offset = 0;
  for (;;) {
    const head = await reader.slice(offset, FRAME_HEADER_BYTES);
    if (head.length === 0) return builder.build();
    const header = readFrameHeader(head, 0);
    let fault: FrameFault | undefined;
    if (typeof header === 'string') fault = header;
    else if (offset + FRAME_HEADER_BYTES + header.payloadBytes > segment.size) fault = 'short payload';
    else {
      const checked = checkFrame(await reader.slice(offset, FRAME_HEADER_BYTES + header.payloadBytes), 0, header);
      if (typeof checked === 'string') fault = checked;
      else builder.add(header, FRAME_HEADER_BYTES + header.payloadBytes);
    }
    if (fault) return builder.build({ offset, reason: fault, bytesAfter: Math.max(0, segment.size - offset) });
    offset = builder.size;
  }
}

/** The NDJSON text of one block (frames checked again: the index may be older than damage to the file). */
export async function readBlockText(store: SegmentStore, key: string, block: SegmentBlock): Promise<string> {
  const bytes = await store.read(key, block.offset, block.offset + block.bytes);
  const payloads: Buffer[] = [];
  let at = 0;
  while (bytes && at < bytes.length) {
    const header = readFrameHeader(bytes, at);
    const payload = typeof header === 'string' ? header : checkFrame(bytes, at, header);
    if (typeof payload === 'string') throw new Error(`${key}: ${payload} at byte ${block.offset + at}`);
    payloads.push(payload);
    at += FRAME_HEADER_BYTES + payload.length;
  }
  if (!bytes || at !== block.bytes) throw new Error(`${key}: block at byte ${block.offset} is shorter than its index says`);
  // Frames end with a sync flush, never a final block: inflate what is there instead of expecting an end.
  const text = inflateRawSync(Buffer.concat(payloads), { finishFlush: constants.Z_SYNC_FLUSH });
  // ASCII text (most logs) as Latin-1: a one-byte string, faster to decode and to JSON.parse than UTF-8's.
  return isAscii(text) ? text.toString('latin1') : text.toString('utf8');
}

/** JSON text's value, or undefined when it is not JSON (a damaged line is the caller's to count). */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Sequential reads of one object through a window, so a scan issues one read per ~1 MiB, not per frame. */
class WindowReader {
  private buffer = Buffer.alloc(0);
  private start = 0;
  private atEnd = false;

  constructor(
    private readonly store: SegmentStore,
    private readonly key: string,
  ) {}

  /** Bytes [offset, offset + length), fewer at the end of the object. Offsets only move forward. */
  async slice(offset: number, length: number): Promise<Buffer> {
    const end = offset + length;
    if (end > this.start + this.buffer.length && !this.atEnd) {
      const kept = this.buffer.subarray(Math.min(this.buffer.length, offset - this.start));
      const want = Math.max(end - offset - kept.length, READ_CHUNK_BYTES);
      const from = offset + kept.length;
      const more = (await this.store.read(this.key, from, from + want)) ?? Buffer.alloc(0);
      if (more.length < want) this.atEnd = true;
      this.buffer = Buffer.concat([kept, more]);
      this.start = offset;
    }
    return this.buffer.subarray(offset - this.start, Math.min(end - this.start, this.buffer.length));
  }
}
