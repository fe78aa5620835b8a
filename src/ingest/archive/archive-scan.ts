/**
 * Reading one tenant's archive back for a time range (`vigil hunt`), in bounded memory: objects are
 * visited in arrival order, one block (or 1 MiB of a former `.ndjson` day file) at a time. A segment
 * or block whose indexed event-time range misses [from, to) is skipped unread. Events outside the
 * range are dropped, and so are repeats of an id already seen (a redelivered message is stored again,
 * shortly after the first copy: ids are remembered for the current and the previous arrival period, so
 * memory grows with one or two hours of ids, not with the range). A segment's torn or damaged tail is
 * reported as a fault and the rest of it is read.
 */
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { SourceKindSchema, type SourceKind } from '../../model/source';
import { parseArchiveKey } from './archive-keys';
import { overlaps } from './segment-index';
import { parseJsonText, readBlockText, segmentIndex } from './segment-reader';
import type { SegmentStore, StoredObject } from './segment-store';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An archived event, as RawArchive writes it (one NDJSON line). `data` is checked to be an object, not
 * copied key by key (z.record would rebuild every event: half of a hunt's time on CloudTrail records).
 */
export const ArchivedEventSchema = z.object({
  id: z.string().min(1),
  time: z.number(),
  tenant: z.string(),
  source: SourceKindSchema,
  collector: z.string(),
  data: z.custom<Record<string, unknown>>(isRecord, 'data must be an object'),
});
export type ArchivedEvent = z.infer<typeof ArchivedEventSchema>;

export interface ArchiveQuery {
  readonly tenant: string;
  /** Unset: every source. */
  readonly sources?: readonly SourceKind[];
  /** Event-time range, epoch ms, half-open [from, to). */
  readonly from: number;
  readonly to: number;
}

export interface ArchiveFault {
  readonly key: string;
  readonly offset: number;
  readonly reason: string;
  readonly bytesAfter: number;
}

export interface ArchiveScanStats {
  objects: number;
  segments: number;
  segmentsSkipped: number;
  blocks: number;
  blocksSkipped: number;
  legacyFiles: number;
  /** Events handed to the visitor. */
  events: number;
  outOfRange: number;
  duplicates: number;
  /** Lines that are not an archived event of this tenant (damage, or a foreign file in the folder). */
  badRecords: number;
  faults: ArchiveFault[];
}

export interface ArchiveScanOptions {
  readonly signal?: AbortSignal;
  /** Awaited (when it returns a promise) after each block: the consumer's back-pressure. */
  readonly ready?: () => Promise<void> | undefined;
  /** After each block and each object: how many objects are done, of how many. */
  readonly progress?: (done: number, total: number, stats: ArchiveScanStats) => void;
  readonly fault?: (fault: ArchiveFault) => void;
}

const LEGACY_CHUNK_BYTES = 1024 * 1024;

interface Unit {
  readonly object: StoredObject;
  readonly kind: 'segment' | 'legacy';
  readonly start: number;
  readonly index?: StoredObject;
}

export async function scanArchive(store: SegmentStore, query: ArchiveQuery, visit: (event: ArchivedEvent) => void, options: ArchiveScanOptions = {}): Promise<ArchiveScanStats> {
  const stats: ArchiveScanStats = { objects: 0, segments: 0, segmentsSkipped: 0, blocks: 0, blocksSkipped: 0, legacyFiles: 0, events: 0, outOfRange: 0, duplicates: 0, badRecords: 0, faults: [] };
  const units = await unitsOf(store, query);
  stats.objects = units.length;
  const seen = new RecentIds();
  const line = (text: string): void => {
    if (text === '') return;
    const parsed = ArchivedEventSchema.safeParse(parseJsonText(text));
    if (!parsed.success || parsed.data.tenant !== query.tenant) {
      stats.badRecords++;
      return;
    }
    const event = parsed.data;
    if (event.time < query.from || event.time >= query.to) {
      stats.outOfRange++;
      return;
    }
    if (!seen.add(`${event.source}\0${event.id}`)) {
      stats.duplicates++;
      return;
    }
    stats.events++;
    visit(event);
  };
  for (const [i, unit] of units.entries()) {
    if (options.signal?.aborted) break;
    seen.enter(unit.start);
    if (unit.kind === 'legacy') {
      stats.legacyFiles++;
      await readLegacy(store, unit.object, line, options);
    } else {
      stats.segments++;
      const index = await segmentIndex(store, unit.object, unit.index);
      if (index.fault) {
        const fault = { key: unit.object.key, ...index.fault };
        stats.faults.push(fault);
        options.fault?.(fault);
      }
      if (!overlaps(index.minTime, index.maxTime, query.from, query.to)) stats.segmentsSkipped++;
      else {
        for (const block of index.blocks) {
          if (options.signal?.aborted) break;
          if (!overlaps(block.minTime, block.maxTime, query.from, query.to)) {
            stats.blocksSkipped++;
            continue;
          }
          stats.blocks++;
          const text = await readBlockText(store, unit.object.key, block);
          for (let at = 0, nl = text.indexOf('\n'); nl !== -1; at = nl + 1, nl = text.indexOf('\n', at)) line(text.slice(at, nl));
          options.progress?.(i, units.length, stats);
          const wait = options.ready?.();
          if (wait) await wait;
        }
      }
    }
    options.progress?.(i + 1, units.length, stats);
  }
  return stats;
}

/** The tenant's segments (with their index when sealed) and day files, in arrival order. */
async function unitsOf(store: SegmentStore, query: ArchiveQuery): Promise<Unit[]> {
  const prefixes = query.sources ? query.sources.map((s) => `${query.tenant}/${s}/`) : [`${query.tenant}/`];
  const objects = (await Promise.all(prefixes.map((p) => store.list(p)))).flat();
  const indexes = new Map<string, StoredObject>();
  const units: Unit[] = [];
  for (const object of objects) {
    const parsed = parseArchiveKey(object.key);
    if (!parsed || parsed.tenant !== query.tenant) continue;
    if (parsed.kind === 'index') indexes.set(parsed.segment, object);
    else units.push({ object, kind: parsed.kind, start: parsed.start });
  }
  const withIndex = units.map((u) => {
    const index = u.kind === 'segment' ? indexes.get(u.object.key) : undefined;
    return index ? { ...u, index } : u;
  });
  return withIndex.sort((a, b) => a.start - b.start || (a.object.key < b.object.key ? -1 : 1));
}

async function readLegacy(store: SegmentStore, object: StoredObject, line: (text: string) => void, options: ArchiveScanOptions): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  for (let at = 0; at < object.size; at += LEGACY_CHUNK_BYTES) {
    if (options.signal?.aborted) return;
    const chunk = await store.read(object.key, at, Math.min(object.size, at + LEGACY_CHUNK_BYTES));
    if (!chunk || chunk.length === 0) break;
    const lines = (partial + decoder.write(chunk)).split('\n');
    partial = lines.pop()!;
    for (const text of lines) line(text);
    const wait = options.ready?.();
    if (wait) await wait;
  }
  // A last line without its newline is a torn write (kill -9 mid-append); it fails to parse and is counted.
  line(partial + decoder.end());
}

/** Ids of the current and the previous arrival period (objects are visited in arrival order). */
class RecentIds {
  private current = new Set<string>();
  private previous = new Set<string>();
  private start = -Infinity;

  enter(start: number): void {
    if (start <= this.start) return;
    this.previous = this.current;
    this.current = new Set();
    this.start = start;
  }

  /** False when the id was seen in this period or the previous one. */
  add(id: string): boolean {
    if (this.current.has(id) || this.previous.has(id)) return false;
    this.current.add(id);
    return true;
  }
}

