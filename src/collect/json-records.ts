/**
 * JSON inputs → records, as a stream: NDJSON lines, and whole documents (CloudTrail `{"Records":[...]}`,
 * a Kubernetes `EventList`, a JSON array, pretty-printed objects). The layout is told from the start
 * of the input: a first line that is a complete JSON value means NDJSON (parsed line by line, the
 * fast path), anything else starting with `{` or `[` is a document, taken apart by the streaming
 * scanner. Either way memory stays bounded by the largest record. A bad line or element is reported
 * with its location and skipped.
 */
import { VigilError, type ErrorCode } from '../error-codes';
import type { SourceKind } from '../model/source';
import { JsonDocumentScanner, type ScannedValue } from './json-scanner';
import { LineSplitter } from './line-splitter';
import type { LineDecoder, RawRecordSink, RecordOrigin, RecordSink } from './record-sink';
import { checkRecord } from './source-records';

/** How much of a document's start is read before it is taken apart as a document rather than as NDJSON. */
const PROBE_CHARS = 1024 * 1024;
/** One record (an NDJSON line, a document element) larger than this is reported and skipped. */
export const MAX_RECORD_CHARS = 64 * 1024 * 1024;

export type JsonLayout = 'lines' | 'document';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The layout of an input from its first characters, or undefined while more are needed (`final`:
 * there are no more). NDJSON whose first line does not parse is still NDJSON (its bad lines are
 * reported one by one) unless it opens like a document.
 */
export function jsonLayout(head: string, final: boolean): JsonLayout | undefined {
  const start = head.search(/\S/);
  if (start === -1) return final ? 'lines' : undefined;
  const first = head[start];
  if (first === '[') return 'document';
  if (first !== '{') return 'lines';
  const newline = head.indexOf('\n', start);
  if (newline === -1) return final ? 'lines' : head.length > PROBE_CHARS ? 'document' : undefined;
  try {
    JSON.parse(head.slice(start, newline));
    return 'lines';
  } catch {
    return 'document';
  }
}

/** The records a whole object stands for: a CloudTrail file's Records, an EventList's items, or itself. */
function containedRecords(value: unknown): { records: unknown[]; container: 'Records' | 'items' } | undefined {
  if (!isRecord(value)) return undefined;
  if (Array.isArray(value['Records'])) return { records: value['Records'], container: 'Records' };
  if (value['kind'] === 'EventList' && Array.isArray(value['items'])) return { records: value['items'], container: 'items' };
  return undefined;
}

/**
 * Decodes JSON text pushed in chunks. `code` is the error code of the caller's input problems
 * (VGL_COLLECT_INPUT for collectors, VGL_RULE_EVENTS_INPUT for offline evaluation).
 */
export class JsonRecordDecoder {
  private layout: JsonLayout | undefined;
  private head = '';
  private lines: LineSplitter | undefined;
  private scanner: JsonDocumentScanner | undefined;

  constructor(
    private readonly file: string,
    private readonly code: ErrorCode,
    private readonly sink: RawRecordSink,
    layout?: JsonLayout,
  ) {
    this.layout = layout;
  }

  write(text: string): void {
    if (this.layout === undefined) {
      this.head += text;
      this.layout = jsonLayout(this.head, false);
      if (this.layout === undefined) return;
      text = this.head;
      this.head = '';
    }
    if (this.layout === 'lines') this.lineSplitter().write(text);
    else this.documentScanner().write(text);
  }

  end(): void {
    if (this.layout === undefined) {
      this.layout = jsonLayout(this.head, true)!;
      const text = this.head;
      this.head = '';
      if (this.layout === 'document') this.documentScanner().write(text);
      else this.lineSplitter().write(text);
    }
    if (this.layout === 'lines') this.lines?.end();
    else this.scanner?.end();
  }

  /** One NDJSON line: a record, or a one-line CloudTrail file / EventList holding several. */
  line(text: string, lineNumber: number): void {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      this.problem(`not JSON: ${(e as Error).message}`, { line: lineNumber });
      return;
    }
    this.whole(value, { line: lineNumber });
  }

  /** A whole value (a line, a top-level object): the records it holds (CloudTrail Records, EventList items), or itself. */
  private whole(value: unknown, origin: RecordOrigin): void {
    const contained = containedRecords(value);
    if (!contained) this.sink.record(value, origin);
    else contained.records.forEach((r, i) => this.sink.record(r, { line: origin.line, field: `${contained.container}[${i}]`, container: contained.container }));
  }

  private lineSplitter(): LineSplitter {
    this.lines ??= new LineSplitter(
      (text, n) => this.line(text, n),
      (n) => this.problem(`line is longer than ${MAX_RECORD_CHARS} characters; skipped`, { line: n }),
      MAX_RECORD_CHARS,
    );
    return this.lines;
  }

  private documentScanner(): JsonDocumentScanner {
    this.scanner ??= new JsonDocumentScanner(
      {
        value: (v) => this.scanned(v),
        problem: (reason, line, field) => this.problem(reason, { line, ...(field !== undefined ? { field } : {}) }),
      },
      MAX_RECORD_CHARS,
    );
    return this.scanner;
  }

  private scanned(v: ScannedValue): void {
    const origin: RecordOrigin = { line: v.line, ...(v.field !== undefined ? { field: v.field } : {}), ...(v.container ? { container: v.container } : {}) };
    let value: unknown;
    try {
      value = JSON.parse(v.text);
    } catch (e) {
      this.problem(`not JSON: ${(e as Error).message}`, origin);
      return;
    }
    // A whole object (not an element) may still hold records: an EventList whose kind came after its items.
    if (v.field === undefined) this.whole(value, origin);
    else this.sink.record(value, origin);
  }

  private problem(reason: string, origin: RecordOrigin): void {
    this.sink.issue(new VigilError(this.code, reason, { file: this.file, ...(origin.line !== undefined ? { line: origin.line } : {}), ...(origin.field !== undefined ? { field: origin.field } : {}) }));
  }
}

/** Collectors publish only events of their source: each record is checked against its shape first. */
export function checkedRecords(file: string, source: SourceKind, sink: RecordSink): RawRecordSink {
  return {
    record(value, origin) {
      const checked = checkRecord(source, value);
      if (checked.ok) {
        sink.record(checked.data);
        return;
      }
      const field = [origin.field, checked.field].filter(Boolean).join('.');
      sink.issue(new VigilError('VGL_COLLECT_INPUT', checked.reason, { file, ...(origin.line !== undefined ? { line: origin.line } : {}), ...(field ? { field } : {}) }));
    },
    issue: (error) => sink.issue(error),
  };
}

/** NDJSON lines of a followed file (FileTail): one record per line, checked against the source. */
export class JsonLineDecoder implements LineDecoder {
  private readonly decoder: JsonRecordDecoder;

  constructor(file: string, source: SourceKind, sink: RecordSink) {
    this.decoder = new JsonRecordDecoder(file, 'VGL_COLLECT_INPUT', checkedRecords(file, source, sink), 'lines');
  }

  line(text: string, lineNumber: number): void {
    this.decoder.line(text, lineNumber);
  }

  flush(): void {}
}
