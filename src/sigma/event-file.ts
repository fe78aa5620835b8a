/**
 * Reads a file of raw events for offline evaluation and benchmarks: NDJSON, a JSON array,
 * CloudTrail `{"Records":[...]}` or a Kubernetes `EventList`, gzip-compressed or not. The source
 * kind is detected from the container or the first event where possible.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { SourceKind } from '../model/source';
import { RuleError } from './errors';

export interface EventFile {
  readonly events: unknown[];
  /** The source the events look like, when recognisable. */
  readonly detectedSource: SourceKind | undefined;
}

export async function readEventFile(file: string): Promise<EventFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new RuleError('VGL_RULE_EVENTS_INPUT', (e as Error).message, { file });
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new RuleError('VGL_RULE_EVENTS_INPUT', `gzip: ${(e as Error).message}`, { file });
    }
  }
  return parseEvents(bytes.toString('utf8'), file);
}

function parseEvents(text: string, file: string): EventFile {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let whole: unknown;
    try {
      whole = JSON.parse(text);
    } catch {
      whole = undefined; // not one JSON document: NDJSON below
    }
    if (Array.isArray(whole)) return { events: whole, detectedSource: detectSource(whole[0]) };
    if (isRecord(whole)) {
      if (Array.isArray(whole['Records'])) return { events: whole['Records'], detectedSource: 'cloudtrail' };
      if (whole['kind'] === 'EventList' && Array.isArray(whole['items'])) return { events: whole['items'], detectedSource: 'k8s_audit' };
      return { events: [whole], detectedSource: detectSource(whole) };
    }
  }
  const events: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      events.push(JSON.parse(line));
    } catch (e) {
      throw new RuleError('VGL_RULE_EVENTS_INPUT', `not JSON: ${(e as Error).message}`, { file, line: i + 1, col: 1 });
    }
  });
  return { events, detectedSource: detectSource(events[0]) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Recognises the sources whose records carry a distinctive shape. */
function detectSource(event: unknown): SourceKind | undefined {
  if (!isRecord(event)) return undefined;
  if (typeof event['eventSource'] === 'string' && typeof event['eventName'] === 'string' && 'awsRegion' in event) return 'cloudtrail';
  if (event['kind'] === 'Event' && typeof event['auditID'] === 'string') return 'k8s_audit';
  if (typeof event['rule'] === 'string' && typeof event['output'] === 'string' && 'priority' in event) return 'falco';
  return undefined;
}
