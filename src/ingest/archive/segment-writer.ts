/**
 * One segment being written: appends become frames (segment-frame.ts), and an append resolves only
 * once its frame is durable in the store. Appends that arrive while a frame is being written are
 * committed together in the next frame (group commit: one write and one fdatasync for all of them),
 * so durability costs one sync per busy period, not one per MQTT message.
 *
 * Compression runs on one raw-deflate stream per segment, so small messages compress against what came
 * before them; each frame ends with a sync flush, so nothing acknowledged waits in the compressor, and
 * every ~256 KiB of text with a full flush, which starts a new independently decodable block.
 */
import { constants, createDeflateRaw } from 'node:zlib';
import { encodeFrame } from './segment-frame';
import { IndexBuilder, type SegmentIndex } from './segment-index';
import type { AppendTarget, SegmentStore } from './segment-store';
import { indexKeyOf } from './archive-keys';

/** Text (characters of NDJSON) per block: the unit a reader decodes, and the granularity of time skipping. */
export const BLOCK_TEXT_CHARS = 256 * 1024;

/** The events of one append, as NDJSON lines, with their event-time range. */
export interface FrameInput {
  readonly text: string;
  readonly events: number;
  readonly minTime: number;
  readonly maxTime: number;
}

interface Pending extends FrameInput {
  resolve(): void;
  reject(err: Error): void;
}

/** The segment no longer takes appends (sealed, or its last write failed); the caller opens a new one. */
export class SegmentClosedError extends Error {}

export class SegmentWriter {
  private readonly deflate = createDeflateRaw();
  private compressed: Buffer[] = [];
  private readonly index: IndexBuilder;
  private blockChars = 0;
  private blockStart = true;
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  private failure: Error | undefined;
  private state: 'open' | 'sealing' | 'sealed' = 'open';

  private constructor(
    private readonly store: SegmentStore,
    readonly key: string,
    private readonly target: AppendTarget,
  ) {
    this.index = new IndexBuilder(key);
    this.deflate.on('data', (chunk: Buffer) => this.compressed.push(chunk));
  }

  static async open(store: SegmentStore, key: string): Promise<SegmentWriter> {
    return new SegmentWriter(store, key, await store.create(key));
  }

  /** Takes appends: not sealed, and no write has failed (after a failure the tail is unknown). */
  get open(): boolean {
    return this.state === 'open' && this.failure === undefined;
  }

  /** Bytes of durable frames so far. */
  get bytes(): number {
    return this.index.size;
  }

  /** Resolves once the events are durable; rejects with the write's error (or SegmentClosedError). */
  append(input: FrameInput): Promise<void> {
    if (this.failure) return Promise.reject(new SegmentClosedError(`segment ${this.key} failed: ${this.failure.message}`));
    if (this.state === 'sealed') return Promise.reject(new SegmentClosedError(`segment ${this.key} is sealed`));
    return new Promise((resolve, reject) => {
      this.queue.push({ ...input, resolve, reject });
      this.draining ??= this.drain().finally(() => (this.draining = undefined));
    });
  }

  /**
   * Stops taking appends, waits for the queued ones, then writes the index next to the segment (after a
   * failed write it writes none: readers then scan the frames and report the torn tail).
   */
  async seal(): Promise<SegmentIndex> {
    if (this.state === 'open') this.state = 'sealing';
    while (this.draining) await this.draining;
    const index = this.index.build();
    if (this.state !== 'sealed') {
      this.state = 'sealed';
      this.deflate.close();
      try {
        if (!this.failure && index.events > 0) await this.store.put(indexKeyOf(this.key), Buffer.from(JSON.stringify(index)));
      } finally {
        await this.target.close();
      }
    }
    return index;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      try {
        if (this.failure) throw new SegmentClosedError(`segment ${this.key} failed: ${this.failure.message}`);
        await this.commit(group);
        for (const p of group) p.resolve();
      } catch (err) {
        this.failure ??= err as Error;
        for (const p of group) p.reject(err as Error);
      }
    }
  }

  private async commit(group: readonly Pending[]): Promise<void> {
    let text = '';
    let events = 0;
    let minTime = Infinity;
    let maxTime = -Infinity;
    for (const p of group) {
      text += p.text;
      events += p.events;
      minTime = Math.min(minTime, p.minTime);
      maxTime = Math.max(maxTime, p.maxTime);
    }
    const endsBlock = this.blockChars + text.length >= BLOCK_TEXT_CHARS;
    const payload = await this.compress(text, endsBlock ? constants.Z_FULL_FLUSH : constants.Z_SYNC_FLUSH);
    const header = { blockStart: this.blockStart, events, minTime, maxTime };
    const frame = encodeFrame(header, payload);
    await this.target.append(frame);
    this.index.add(header, frame.length);
    this.blockStart = endsBlock;
    this.blockChars = endsBlock ? 0 : this.blockChars + text.length;
  }

  /** Deflates `text` and flushes: the flush callback runs after the stream has emitted all its output. */
  private compress(text: string, flush: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.deflate.once('error', reject);
      this.deflate.write(text);
      this.deflate.flush(flush, () => {
        this.deflate.off('error', reject);
        const out = Buffer.concat(this.compressed);
        this.compressed = [];
        resolve(out);
      });
    });
  }
}
