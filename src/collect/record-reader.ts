/**
 * Records from a file, streamed in bounded memory: JSON (NDJSON or a document, see json-records.ts)
 * or audit log lines (auditd-decoder.ts), gzip-compressed or not (told from the magic bytes, so
 * multi-member gzip and `.log` files that are really gzip both work), from a path or from standard
 * input (`-`). Between chunks the reader waits for its consumer (`ready`), so a slow writer slows the
 * reading instead of filling memory; an aborted `signal` stops it early and closes the file.
 */
import { createReadStream } from 'node:fs';
import { hostname } from 'node:os';
import { isAscii } from 'node:buffer';
import { pipeline, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { VigilError, type ErrorCode } from '../error-codes';
import { AuditdDecoder } from './auditd-decoder';
import { JsonRecordDecoder, MAX_RECORD_CHARS } from './json-records';
import { LineSplitter } from './line-splitter';
import type { RawRecordSink } from './record-sink';

/** Bytes read from the file per step, and the size of the decompressed steps. */
const CHUNK_BYTES = 1024 * 1024;
const GUNZIP_CHUNK_BYTES = 256 * 1024;

/** `json-or-auditd`: audit log lines, unless the input starts like JSON (audit records already decoded). */
export type RecordFormat = 'json' | 'auditd' | 'json-or-auditd';

export interface ReadRecordsOptions {
  readonly format: RecordFormat;
  /** Code of the errors for unreadable input and bad records (VGL_COLLECT_INPUT, VGL_RULE_EVENTS_INPUT). */
  readonly code: ErrorCode;
  /** Host name for audit records without node= (default: this machine's). */
  readonly hostname?: string;
  readonly signal?: AbortSignal;
  /** Called after each chunk is decoded; a returned promise is awaited before the next chunk is read. */
  readonly ready?: () => Promise<void> | undefined;
}

export interface ReadSummary {
  /** Bytes read from the file (compressed bytes for gzip). */
  bytes: number;
  /** Newlines in the decoded text. */
  lines: number;
  gzip: boolean;
}

interface TextSink {
  write(text: string): void;
  end(): void;
}

function decoderFor(file: string, options: ReadRecordsOptions, sink: RawRecordSink): TextSink {
  if (options.format === 'json-or-auditd') return deferred((first) => decoderFor(file, { ...options, format: first === '{' || first === '[' ? 'json' : 'auditd' }, sink));
  if (options.format === 'json') return new JsonRecordDecoder(file, options.code, sink);
  const auditd = new AuditdDecoder({ file, hostname: options.hostname ?? hostname(), code: options.code }, { record: (data) => sink.record(data, {}), issue: (e) => sink.issue(e) });
  const lines = new LineSplitter(
    (text, n) => auditd.line(text, n),
    (n) => sink.issue(new VigilError(options.code, `line is longer than ${MAX_RECORD_CHARS} characters; skipped`, { file, line: n })),
    MAX_RECORD_CHARS,
  );
  return {
    write: (text) => lines.write(text),
    end: () => {
      lines.end();
      auditd.flush();
    },
  };
}

/** A decoder chosen by the input's first non-blank character, once it has arrived. */
function deferred(choose: (first: string) => TextSink): TextSink {
  let chosen: TextSink | undefined;
  let head = '';
  return {
    write(text) {
      if (chosen) return chosen.write(text);
      head += text;
      const start = head.search(/\S/);
      if (start === -1) return;
      chosen = choose(head[start]!);
      chosen.write(head);
      head = '';
    },
    end() {
      (chosen ?? choose('')).end();
    },
  };
}

/** The file's bytes, decompressed when they start with the gzip magic number. */
async function decompressed(raw: Readable, summary: ReadSummary): Promise<AsyncIterable<Buffer>> {
  const counted = (async function* () {
    for await (const chunk of raw) {
      summary.bytes += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  })();
  const first = await counted.next();
  if (first.done) return (async function* () {})();
  const all = (async function* () {
    yield first.value;
    yield* counted;
  })();
  if (!(first.value[0] === 0x1f && first.value[1] === 0x8b)) return all;
  summary.gzip = true;
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  // A read or gzip error destroys the whole pipeline; the consumer sees it from gunzip's iterator.
  pipeline(Readable.from(all, { objectMode: false }), gunzip, () => undefined);
  return gunzip;
}

/**
 * UTF-8 bytes → text. ASCII chunks (most logs) are copied as Latin-1, several times faster than UTF-8
 * decoding; that is exact only when no multi-byte character is cut at the previous chunk's end, so the
 * fast path is taken only after a chunk that ended on an ASCII byte.
 */
class Utf8Chunks {
  private readonly decoder = new StringDecoder('utf8');
  private clean = true;

  write(chunk: Buffer): string {
    if (this.clean && isAscii(chunk)) return chunk.toString('latin1');
    const text = this.decoder.write(chunk);
    this.clean = chunk.length > 0 && chunk[chunk.length - 1]! < 0x80;
    return text;
  }

  end(): string {
    return this.decoder.end();
  }
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Reads every record of `file` ('-': standard input) into `sink`. Unreadable input (missing file,
 * broken gzip) throws a VigilError of `options.code`; bad records are reported to the sink and skipped.
 */
export async function readRecords(file: string, options: ReadRecordsOptions, sink: RawRecordSink): Promise<ReadSummary> {
  const name = file === '-' ? '<stdin>' : file;
  const summary: ReadSummary = { bytes: 0, lines: 0, gzip: false };
  const failed = (e: unknown) => new VigilError(options.code, `${summary.gzip ? 'gzip: ' : ''}${(e as Error).message}`, { file: name });
  const raw = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: CHUNK_BYTES });
  let chunks: AsyncIterator<Buffer>;
  try {
    chunks = (await decompressed(raw, summary))[Symbol.asyncIterator]();
  } catch (e) {
    raw.destroy();
    throw failed(e);
  }
  const decoder = decoderFor(name, options, sink);
  const text = new Utf8Chunks();
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (e) {
        throw failed(e);
      }
      if (next.done) break;
      const decoded = text.write(next.value);
      summary.lines += countLines(decoded);
      decoder.write(decoded);
      const wait = options.ready?.();
      if (wait) await wait;
      if (options.signal?.aborted) return summary;
    }
  } finally {
    await chunks.return?.(); // closes the file when reading stopped early
  }
  const rest = text.end();
  summary.lines += countLines(rest);
  decoder.write(rest);
  decoder.end();
  return summary;
}
