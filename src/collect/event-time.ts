/**
 * Event identity and time per source, taken from the record itself (never arrival time) so that
 * correlation windows use when things happened and redelivered records keep their id.
 */
import { createHash } from 'node:crypto';
import { getPath } from '../model/field-path';
import type { SourceKind } from '../model/source';

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

const idFields: Record<SourceKind, string[]> = {
  cloudtrail: ['eventID'],
  k8s_audit: ['auditID'],
  process: ['id', 'event_id'],
  auditd: ['id', 'event_id'],
  falco: ['uuid', 'id'],
  json: ['id', 'event_id', 'eventID'],
};

function toEpochMs(value: unknown): number | undefined {
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
export function eventTimeOf(source: SourceKind, data: Fields, fallback: number): number {
  for (const field of timeFields[source]) {
    const ms = toEpochMs(getPath(data, field));
    if (ms !== undefined) return ms;
  }
  return fallback;
}

/** The record's own id, or a content hash, so the same record always gets the same id. */
export function eventIdOf(source: SourceKind, data: Fields): string {
  for (const field of idFields[source]) {
    const v = getPath(data, field);
    if ((typeof v === 'string' && v) || typeof v === 'number') return String(v);
  }
  return createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 32);
}
