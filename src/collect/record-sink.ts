/**
 * The seam between input decoders (NDJSON lines, audit log lines, JSON documents, webhook bodies) and
 * what consumes their records (the collector output, offline evaluation): decoders hand over records
 * and located issues, never throw for bad input.
 */
import type { VigilError } from '../error-codes';
import type { RecordContainer } from './json-scanner';

export interface RecordSink {
  record(data: Record<string, unknown>): void;
  /** A record that could not be decoded (code VGL_COLLECT_INPUT, located at file:line or field). */
  issue(error: VigilError): void;
}

/** Where a record was read: its line, and its place in a JSON document (`Records[3]`). */
export interface RecordOrigin {
  readonly line?: number;
  readonly field?: string;
  readonly container?: RecordContainer;
}

/** Records as read from a file, before any check against a source's shape. */
export interface RawRecordSink {
  record(value: unknown, origin: RecordOrigin): void;
  issue(error: VigilError): void;
}

/** Turns lines of one input into records; `flush` is called at end of input and when a followed file goes idle. */
export interface LineDecoder {
  line(text: string, lineNumber: number): void;
  flush(): void;
}
