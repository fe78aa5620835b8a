/**
 * The seam between input decoders (NDJSON lines, audit log lines, JSON documents, webhook bodies) and
 * the collector output: decoders hand over records and located issues, never throw for bad input.
 */
import type { VigilError } from '../error-codes';

export interface RecordSink {
  record(data: Record<string, unknown>): void;
  /** A record that could not be decoded (code VGL_COLLECT_INPUT, located at file:line or field). */
  issue(error: VigilError): void;
}

/** Turns lines of one input into records; `flush` is called at end of input and when a followed file goes idle. */
export interface LineDecoder {
  line(text: string, lineNumber: number): void;
  flush(): void;
}
