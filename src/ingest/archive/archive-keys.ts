/**
 * Names in the archive store. Segments are partitioned by tenant, source and UTC hour of arrival:
 * `<tenant>/<source>/<YYYY-MM-DDTHH>.<writer>.vseg`, with its index next to it (`.vidx`, written
 * when the segment is sealed). Every writer (ingest process, restart) creates its own segment, so no
 * file is ever appended to by two processes or after a crash. Day files of the former format,
 * `<tenant>/<source>/<YYYY-MM-DD>.ndjson`, are still recognised. Names sort in time order.
 */
import { randomBytes } from 'node:crypto';
import { SourceKindSchema, type SourceKind } from '../../model/source';

export const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export type ArchiveObject =
  | { readonly kind: 'segment' | 'index'; readonly tenant: string; readonly source: SourceKind; readonly start: number; readonly end: number; readonly segment: string }
  | { readonly kind: 'legacy'; readonly tenant: string; readonly source: SourceKind; readonly start: number; readonly end: number };

const NAME = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2})\.([a-z0-9-]+)\.(vseg|vidx)|\.ndjson)$/;

/** A name unique to one writer: creation time and randomness, so concurrent ingest processes never collide. */
export function writerId(now = Date.now()): string {
  return `${now.toString(36)}-${randomBytes(4).toString('hex')}`;
}

export function hourOf(at: number): number {
  return Math.floor(at / HOUR_MS) * HOUR_MS;
}

export function segmentKey(tenant: string, source: SourceKind, hour: number, writer: string): string {
  return `${tenant}/${source}/${new Date(hour).toISOString().slice(0, 13)}.${writer}.vseg`;
}

export function indexKeyOf(segment: string): string {
  return segment.replace(/\.vseg$/, '.vidx');
}

/** What a stored key is, or undefined for anything else (temporary files, foreign files). */
export function parseArchiveKey(key: string): ArchiveObject | undefined {
  const parts = key.split('/');
  if (parts.length !== 3) return undefined;
  const [tenant, sourceName, name] = parts as [string, string, string];
  const source = SourceKindSchema.safeParse(sourceName);
  const m = NAME.exec(name);
  if (!source.success || !m) return undefined;
  const day = Date.parse(`${m[1]}T00:00:00Z`);
  if (Number.isNaN(day)) return undefined;
  if (m[2] === undefined) return { kind: 'legacy', tenant, source: source.data, start: day, end: day + DAY_MS };
  const start = day + Number(m[2]) * HOUR_MS;
  const segment = `${tenant}/${sourceName}/${m[1]}T${m[2]}.${m[3]}.vseg`;
  return { kind: m[4] === 'vseg' ? 'segment' : 'index', tenant, source: source.data, start, end: start + HOUR_MS, segment };
}
