/**
 * JSON inputs: whole documents (CloudTrail `{"Records":[...]}`, a Kubernetes `EventList`, a JSON array,
 * one object) and NDJSON lines. A bad line or element is reported with its location and skipped.
 */
import { VigilError } from '../error-codes';
import type { SourceKind } from '../model/source';
import type { LineDecoder, RecordSink } from './record-sink';
import { checkRecord } from './source-records';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The elements of a whole JSON document with the field path each came from. */
function documentElements(doc: unknown): Array<{ value: unknown; field: string }> {
  const list = (items: unknown[], prefix: string) => items.map((value, i) => ({ value, field: `${prefix}[${i}]` }));
  if (Array.isArray(doc)) return list(doc, '');
  if (isRecord(doc) && Array.isArray(doc['Records'])) return list(doc['Records'], 'Records');
  if (isRecord(doc) && doc['kind'] === 'EventList' && Array.isArray(doc['items'])) return list(doc['items'], 'items');
  return [{ value: doc, field: '' }];
}

/**
 * Publishes the records of `text` when it is one JSON document; returns false when it is not (then
 * it is NDJSON or garbled, and the caller decodes it line by line).
 */
export function decodeJsonDocument(text: string, file: string, source: SourceKind, sink: RecordSink): boolean {
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return false;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return false;
  }
  for (const { value, field } of documentElements(doc)) {
    const checked = checkRecord(source, value);
    if (checked.ok) sink.record(checked.data);
    else sink.issue(new VigilError('VGL_COLLECT_INPUT', checked.reason, { file, field: [field, checked.field].filter(Boolean).join('.') || undefined }));
  }
  return true;
}

/** NDJSON: one event per line; blank lines are ignored. */
export class JsonLineDecoder implements LineDecoder {
  constructor(
    private readonly file: string,
    private readonly source: SourceKind,
    private readonly sink: RecordSink,
  ) {}

  line(text: string, lineNumber: number): void {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      this.sink.issue(new VigilError('VGL_COLLECT_INPUT', `not JSON: ${(e as Error).message}`, { file: this.file, line: lineNumber }));
      return;
    }
    const checked = checkRecord(this.source, value);
    if (checked.ok) this.sink.record(checked.data);
    else this.sink.issue(new VigilError('VGL_COLLECT_INPUT', checked.reason, { file: this.file, line: lineNumber, ...(checked.field ? { field: checked.field } : {}) }));
  }

  flush(): void {}
}
