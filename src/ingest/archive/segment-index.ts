/**
 * A segment's index: its blocks with their byte ranges, event counts and event-time ranges, enough for
 * a reader to skip a segment or block whose events all fall outside the hunted time range without
 * reading it. Written next to the segment when it is sealed; for a segment that was never sealed (its
 * writer crashed, or is still writing) readers rebuild it by scanning the frames (segment-scan.ts).
 */
import { z } from 'zod';
import type { FrameFault, FrameHeader } from './segment-frame';

const count = z.number().int().nonnegative();

const BlockSchema = z.object({
  offset: count,
  bytes: count,
  frames: count,
  events: count,
  minTime: z.number(),
  maxTime: z.number(),
});
export type SegmentBlock = z.infer<typeof BlockSchema>;

export const SegmentIndexSchema = z.object({
  v: z.literal(1),
  segment: z.string(),
  /** Bytes of whole, checked frames from the start of the segment. */
  bytes: count,
  events: count,
  minTime: z.number().nullable(),
  maxTime: z.number().nullable(),
  blocks: z.array(BlockSchema),
  /** Where a scan stopped before the end of the object, and why (a torn tail after a crash, or damage). */
  fault: z.object({ offset: count, reason: z.string(), bytesAfter: count }).optional(),
});
export type SegmentIndex = z.infer<typeof SegmentIndexSchema>;

/** Accumulates frames, in order, into an index. */
export class IndexBuilder {
  private readonly blocks: SegmentBlock[] = [];
  private bytes = 0;

  constructor(private readonly segment: string) {}

  add(header: Omit<FrameHeader, 'payloadBytes'>, frameBytes: number): void {
    let block = this.blocks[this.blocks.length - 1];
    if (!block || header.blockStart) {
      block = { offset: this.bytes, bytes: 0, frames: 0, events: 0, minTime: Infinity, maxTime: -Infinity };
      this.blocks.push(block);
    }
    block.bytes += frameBytes;
    block.frames += 1;
    block.events += header.events;
    block.minTime = Math.min(block.minTime, header.minTime);
    block.maxTime = Math.max(block.maxTime, header.maxTime);
    this.bytes += frameBytes;
  }

  get size(): number {
    return this.bytes;
  }

  build(fault?: { offset: number; reason: FrameFault; bytesAfter: number }): SegmentIndex {
    // Every frame holds at least one event (appends of nothing write nothing), so every block has a time range.
    const blocks = this.blocks.map((b) => ({ ...b }));
    return {
      v: 1,
      segment: this.segment,
      bytes: this.bytes,
      events: blocks.reduce((n, b) => n + b.events, 0),
      minTime: blocks.length > 0 ? blocks.reduce((t, b) => Math.min(t, b.minTime), Infinity) : null,
      maxTime: blocks.length > 0 ? blocks.reduce((t, b) => Math.max(t, b.maxTime), -Infinity) : null,
      blocks,
      ...(fault ? { fault } : {}),
    };
  }
}

/** Whether any event of [minTime, maxTime] can be in the half-open range [from, to). */
export function overlaps(minTime: number | null, maxTime: number | null, from: number, to: number): boolean {
  return minTime !== null && maxTime !== null && maxTime >= from && minTime < to;
}
