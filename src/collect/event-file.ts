/**
 * A small file of raw events read whole (rule tests, benchmarks), through the same streaming reader
 * as everything else (record-reader.ts), and the source its events look like. Large inputs are not
 * read whole: `vigil rules eval` consumes records as they stream.
 */
import type { SourceKind } from '../model/source';
import { readRecords } from './record-reader';
import type { RecordOrigin } from './record-sink';

export interface EventFile {
  readonly events: unknown[];
  /** The source the events look like, when recognisable. */
  readonly detectedSource: SourceKind | undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The source of a record, from its container (CloudTrail Records, k8s EventList) or its distinctive shape. */
export function detectSource(event: unknown, origin: RecordOrigin): SourceKind | undefined {
  if (origin.container === 'Records') return 'cloudtrail';
  if (origin.container === 'items') return 'k8s_audit';
  if (!isRecord(event)) return undefined;
  if (typeof event['eventSource'] === 'string' && typeof event['eventName'] === 'string' && 'awsRegion' in event) return 'cloudtrail';
  if (event['kind'] === 'Event' && typeof event['auditID'] === 'string') return 'k8s_audit';
  if (typeof event['rule'] === 'string' && typeof event['output'] === 'string' && 'priority' in event) return 'falco';
  return undefined;
}

/** Every record of a JSON file (NDJSON, array, Records, EventList; gzip or not); the first bad record throws. */
export async function readEventFile(file: string): Promise<EventFile> {
  const events: unknown[] = [];
  let detectedSource: SourceKind | undefined;
  await readRecords(
    file,
    { format: 'json', code: 'VGL_RULE_EVENTS_INPUT' },
    {
      record(value, origin) {
        if (events.length === 0) detectedSource = detectSource(value, origin);
        events.push(value);
      },
      issue(error) {
        throw error;
      },
    },
  );
  return { events, detectedSource };
}
