/**
 * The on-disk overflow of a collector's publish buffer: when the in-memory bound is reached during a
 * broker outage, sealed batches are written here (one msgpack file per batch, in order) instead of
 * being dropped, and read back oldest first as memory frees up. A file is deleted only once the
 * broker has acknowledged its batch, so batches spilled before a collector crash or restart are
 * published when it starts again (same event ids: ingest de-duplicates the rare repeat).
 * The directory is bounded too: beyond `maxBytes` the oldest file is dropped and counted.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Packr } from 'msgpackr';
import type { Logger } from 'pino';
import type { RawEvent } from '../model/event';

/** `<16-digit sequence>-<event count>.mpk`: the name orders the files and says how many events each holds. */
const fileName = /^(\d{16})-(\d+)\.mpk$/;
const packr = new Packr({ useRecords: true });

interface SpillFile {
  name: string;
  events: number;
  bytes: number;
}

export class SpillQueue {
  private readonly files: SpillFile[] = [];
  private nextSeq = 0;
  private bytes = 0;
  /** Events in the files not yet handed out by `shift`. */
  private waitingEvents = 0;
  /** Files handed out by `shift` and not yet released (their batch awaits PUBACK). */
  private readonly leased = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    private readonly logger: Logger,
  ) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir).sort()) {
      const m = fileName.exec(name);
      if (!m) continue;
      const file = { name, events: Number(m[2]), bytes: statSync(path.join(dir, name)).size };
      this.files.push(file);
      this.bytes += file.bytes;
      this.waitingEvents += file.events;
      this.nextSeq = Number(m[1]) + 1;
    }
    if (this.files.length > 0) logger.info({ dir, files: this.files.length, events: this.waitingEvents }, 'spilled batches from a previous run will be published');
  }

  /** Events on disk waiting to be read back. */
  get events(): number {
    return this.waitingEvents;
  }

  get isEmpty(): boolean {
    return this.files.length === 0;
  }

  /** Past 90% of the size bound: senders that can retry (the k8s webhook) should be asked to. */
  get nearlyFull(): boolean {
    return this.bytes >= this.maxBytes * 0.9;
  }

  /** Events in the oldest waiting batch, if any. */
  peekEvents(): number | undefined {
    return this.files[0]?.events;
  }

  /** Appends a batch; returns how many older events were dropped to stay within `maxBytes`. */
  push(batch: RawEvent[]): number {
    const name = `${String(this.nextSeq++).padStart(16, '0')}-${batch.length}.mpk`;
    const bytes = packr.pack(batch);
    writeFileSync(path.join(this.dir, name), bytes);
    this.files.push({ name, events: batch.length, bytes: bytes.length });
    this.bytes += bytes.length;
    this.waitingEvents += batch.length;
    let dropped = 0;
    while (this.bytes > this.maxBytes && this.files.length > 1) {
      const oldest = this.files.shift()!;
      this.remove(oldest);
      this.waitingEvents -= oldest.events;
      dropped += oldest.events;
    }
    if (dropped > 0) this.logger.warn({ dir: this.dir, dropped }, 'spill directory full: dropped oldest batches');
    return dropped;
  }

  /**
   * Reads the oldest batch back; its file stays until `release` is called (after PUBACK).
   * A file that cannot be read or decoded is removed and reported as `lost` events.
   */
  shift(): { batch: RawEvent[]; release: () => void } | { lost: number } {
    const file = this.files.shift()!;
    this.waitingEvents -= file.events;
    try {
      const batch = packr.unpack(readFileSync(path.join(this.dir, file.name))) as RawEvent[];
      this.leased.add(file.name);
      return { batch, release: () => this.release(file) };
    } catch (e) {
      this.logger.error({ file: file.name, err: (e as Error).message }, 'unreadable spill file removed');
      this.remove(file);
      return { lost: file.events };
    }
  }

  private release(file: SpillFile): void {
    if (this.leased.delete(file.name)) this.remove(file);
  }

  private remove(file: SpillFile): void {
    this.bytes -= file.bytes;
    try {
      unlinkSync(path.join(this.dir, file.name));
    } catch {
      // already gone: nothing to free
    }
  }
}
