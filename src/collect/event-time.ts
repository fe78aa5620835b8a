/**
 * Event identity and time per source, taken from the record itself (never arrival time) so that
 * correlation windows use when things happened and redelivered records keep their id. Fields are
 * read as rules read them (sigma/field-reader.ts): `output_fields.evt.time` is Falco's literal
 * `evt.time` key; a field with several values gives its first.
 */
import { createHash } from 'node:crypto';
import type { SourceKind } from '../model/source';
import { readersBySource } from '../sigma/field-reader';

type Fields = Record<string, unknown>;

/** Where each source keeps its event time, most specific first (dotted paths). */
export const timeFields: Record<SourceKind, readonly string[]> = {
  cloudtrail: ['eventTime'],
  k8s_audit: ['stageTimestamp', 'requestReceivedTimestamp'],
  process: ['timestamp', 'time', '@timestamp'],
  auditd: ['timestamp', 'time'],
  falco: ['time', 'output_fields.evt.time'],
  json: ['timestamp', 'time', '@timestamp', 'eventTime'],
};

const idFields: Record<SourceKind, readonly string[]> = {
  cloudtrail: ['eventID'],
  k8s_audit: ['auditID'],
  process: ['id', 'event_id'],
  auditd: ['id', 'event_id'],
  falco: ['uuid', 'id'],
  json: ['id', 'event_id', 'eventID'],
};

const timeReaders = readersBySource(timeFields);
const idReaders = readersBySource(idFields);

/** A time value as epoch ms: ISO-8601 text, or seconds, milliseconds or nanoseconds since the epoch. */
export function epochMsOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // seconds, milliseconds or nanoseconds since the epoch, told apart by magnitude
    if (value > 1e17) return Math.floor(value / 1e6);
    if (value < 1e11) return Math.floor(value * 1000);
    return Math.floor(value);
  }
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** The record's own time, or `fallback` (collection time) when it has none. */
export function eventTimeOf(source: SourceKind, data: unknown, fallback: number): number {
  for (const reader of timeReaders[source]) {
    const ms = epochMsOf(reader.scalar(data));
    if (ms !== undefined) return ms;
  }
  return fallback;
}

/** The record's own id, or a content hash, so the same record always gets the same id. */
export function eventIdOf(source: SourceKind, data: Fields): string {
  for (const reader of idReaders[source]) {
    const v = reader.scalar(data);
    if ((typeof v === 'string' && v) || typeof v === 'number') return String(v);
  }
  return createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 32);
}
