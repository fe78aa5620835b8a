/**
 * Append-only archive of every raw event ingest accepts, for forensics and retro-hunting: compressed,
 * checksummed segments per tenant, source and UTC hour of arrival (archive/archive-keys.ts), in a
 * pluggable store (archive/segment-store.ts; the folder `<dataDir>/archive` by default).
 *
 * **Invariant**: `append` resolves only once the events' frame is durable (archive/segment-writer.ts:
 * written and fdatasynced, the segment's name fsynced in its directory; on S3, its part object stored), and ingest acknowledges the
 * MQTT message only after that. A crash mid-write leaves a torn last frame in a segment nobody writes
 * to again; its events were never acknowledged, so the broker redelivers them and they are written to
 * a new segment. Redelivery can therefore store an event twice; readers de-duplicate by id.
 *
 * Retention deletes whole segments (and former `.ndjson` day files) whose arrival hour (day) ended
 * longer ago than the retention setting; it never rewrites a segment.
 */
import type { Logger } from 'pino';
import type { RawEvent } from '../model/event';
import type { SourceKind } from '../model/source';
import { HOUR_MS, hourOf, parseArchiveKey, segmentKey, writerId } from './archive/archive-keys';
import { FolderStore } from './archive/folder-store';
import { SegmentClosedError, SegmentWriter } from './archive/segment-writer';
import type { SegmentStore } from './archive/segment-store';

export interface RawArchiveOptions {
  /** Delete segments whose arrival hour ended longer ago than this; unset keeps everything. */
  readonly retentionMs?: number;
  readonly logger?: Logger;
}

/** A writer is sealed (index written, file closed) this long after its hour ended, for appends still in flight. */
const SEAL_GRACE_MS = 60_000;
/** Retention runs at the first append and then at most this often. */
const SWEEP_EVERY_MS = 10 * 60_000;

interface OpenSegment {
  readonly hour: number;
  readonly writer: Promise<SegmentWriter>;
}

export class RawArchive {
  readonly store: SegmentStore;
  private readonly writers = new Map<string, OpenSegment>();
  private lastSweep = -Infinity;
  private sweeping: Promise<void> | undefined;
  private readonly sealing = new Set<Promise<unknown>>();

  constructor(
    where: string | SegmentStore,
    private readonly options: RawArchiveOptions = {},
  ) {
    this.store = typeof where === 'string' ? new FolderStore(where) : where;
  }

  /** Events come from the wire decoder, which yields only JSON-safe values, so serialising cannot throw. */
  async append(tenant: string, source: SourceKind, collector: string, events: RawEvent[], at: number): Promise<void> {
    if (events.length === 0) return;
    let text = '';
    let minTime = Infinity;
    let maxTime = -Infinity;
    for (const e of events) {
      text += JSON.stringify({ id: e.id, time: e.time, tenant, source, collector, data: e.data }) + '\n';
      minTime = Math.min(minTime, e.time);
      maxTime = Math.max(maxTime, e.time);
    }
    const hour = hourOf(at);
    // A writer that failed or was sealed meanwhile is replaced once; any other failure is the caller's to retry.
    for (let tries = 0; ; tries++) {
      const writer = await this.writerFor(tenant, source, hour);
      try {
        await writer.append({ text, events: events.length, minTime, maxTime });
        break;
      } catch (err) {
        if (!(err instanceof SegmentClosedError) || tries > 0) throw err;
      }
    }
    this.sealEnded(at);
    if (this.options.retentionMs !== undefined && at - this.lastSweep >= SWEEP_EVERY_MS && !this.sweeping) {
      this.lastSweep = at;
      this.sweeping = this.sweep(at)
        .then(
          (deleted) => void (deleted > 0 && this.options.logger?.info({ deleted }, 'archive retention deleted expired segments')),
          (err: unknown) => void this.options.logger?.warn({ err: (err as Error).message }, 'archive retention sweep failed; retried later'),
        )
        .finally(() => (this.sweeping = undefined));
    }
  }

  /**
   * Deletes every segment, index and former day file whose arrival period ended at or before
   * `now - retention`, and returns how many objects it deleted. Open segments are never that old.
   */
  async sweep(now: number): Promise<number> {
    if (this.options.retentionMs === undefined) return 0;
    const cutoff = now - this.options.retentionMs;
    let deleted = 0;
    for (const object of await this.store.list('')) {
      const parsed = parseArchiveKey(object.key);
      if (parsed && parsed.end <= cutoff) {
        await this.store.delete(object.key);
        deleted++;
      }
    }
    return deleted;
  }

  /** Seals every open segment (writing its index) and waits for retention. */
  async close(): Promise<void> {
    const open = [...this.writers.values()];
    this.writers.clear();
    await Promise.allSettled([...open.map((o) => o.writer.then((w) => w.seal())), ...this.sealing, this.sweeping]);
  }

  private async writerFor(tenant: string, source: SourceKind, hour: number): Promise<SegmentWriter> {
    const slot = `${tenant}/${source}/${hour}`;
    const current = this.writers.get(slot);
    if (current) {
      const writer = await current.writer.catch(() => undefined);
      if (writer?.open) return writer;
      if (this.writers.get(slot) === current) {
        this.writers.delete(slot);
        if (writer) this.track(writer.seal()); // closes the failed segment's file; no index, readers scan it
      }
      if (this.writers.has(slot)) return this.writerFor(tenant, source, hour);
    }
    const writer = SegmentWriter.open(this.store, segmentKey(tenant, source, hour, writerId()));
    const opened: OpenSegment = { hour, writer };
    this.writers.set(slot, opened);
    // A failed create is not kept: the next append tries again (the disk may come back).
    writer.catch(() => this.writers.get(slot) === opened && this.writers.delete(slot));
    return writer;
  }

  /** Seals the segments of hours that ended more than a grace period before `at`. */
  private sealEnded(at: number): void {
    for (const [slot, open] of this.writers) {
      if (open.hour + HOUR_MS + SEAL_GRACE_MS > at) continue;
      this.writers.delete(slot);
      this.track(open.writer.then((w) => w.seal()));
    }
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.then(
      () => undefined,
      (err: unknown) => void this.options.logger?.warn({ err: (err as Error).message }, 'sealing an archive segment failed; readers scan it instead'),
    );
    this.sealing.add(tracked);
    void tracked.finally(() => this.sealing.delete(tracked));
  }
}
