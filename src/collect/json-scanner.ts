/**
 * Streaming scanner for JSON *documents* (a JSON array, CloudTrail `{"Records":[...]}`, a Kubernetes
 * `EventList`, or whole objects one after another, pretty-printed or not): text arrives in chunks and
 * each record is handed on as soon as it is complete, so a file of any size is read in memory bounded
 * by its largest record. Only the structure is tracked here (depth, strings, the keys of a top-level
 * object); each record's own text is parsed by JSON.parse.
 * - elements of a top-level array are records (field `[i]`);
 * - in a top-level object, the elements of `Records` (any object) or of `items` (after
 *   `"kind":"EventList"`, which every Kubernetes serialiser writes first) are records, streamed;
 * - any other top-level object is one value, handed on whole once it closes (its caller decides
 *   what it holds: see json-records.ts).
 * Reference: RFC 8259 (a raw newline cannot occur inside a string, so lines are counted outside them).
 */

export type RecordContainer = 'array' | 'Records' | 'items';

export interface ScannedValue {
  /** The record's JSON text. */
  readonly text: string;
  /** 1-based line where it starts. */
  readonly line: number;
  /** Where it sits in its document (`Records[3]`), absent for a whole top-level object. */
  readonly field?: string;
  readonly container?: RecordContainer;
}

export interface ScanSink {
  value(value: ScannedValue): void;
  /** Input the scanner cannot take apart (stray text between documents, a record past the size bound). */
  problem(reason: string, line: number, field?: string): void;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === NEWLINE || c === 0x0d || c === 0x09;
}

/** What the scanner does with the top-level object it is in. */
type ObjectState = 'key' | 'colon' | 'value' | 'after-value';

export class JsonDocumentScanner {
  private buf = '';
  private pos = 0;
  private line = 1;
  private depth = 0;
  private inString = false;
  /** The character at `pos` is escaped (a backslash ended the previous chunk inside a string). */
  private escaped = false;
  /** Start of the string being read when its text matters (a top-level key or the `kind` value). */
  private stringStart = -1;

  /** Start of the text being kept for JSON.parse (a top-level object or a streamed element), or -1. */
  private captureStart = -1;
  private captureLine = 0;
  /** The value being captured grew past the bound: skip it to its end and report it once. */
  private skipping = false;

  /** Depth of the array whose elements are records (0: none). */
  private streamDepth = 0;
  private container: RecordContainer = 'array';
  private elementIndex = 0;

  /** Keys of the top-level object, tracked at depth 1. */
  private objectState: ObjectState = 'key';
  private key = '';
  private kind: string | undefined;
  /** The top-level object streamed an array: it is not handed on whole. */
  private streamed = false;

  constructor(
    private readonly sink: ScanSink,
    private readonly maxRecordChars: number,
  ) {}

  write(text: string): void {
    // compact() left only the text still needed, usually nothing or part of one record.
    this.buf = this.buf.length === 0 ? text : this.buf + text;
    this.scan();
    this.compact();
  }

  /** End of input: a document still open is reported. */
  end(): void {
    if (this.depth > 0 || this.inString) this.sink.problem('unexpected end of input inside a JSON document', this.captureStart >= 0 ? this.captureLine : this.line);
    this.buf = '';
    this.pos = 0;
  }

  private scan(): void {
    const buf = this.buf;
    const len = buf.length;
    let pos = this.pos;
    while (pos < len) {
      if (this.inString) {
        pos = this.skipString(buf, pos);
        continue;
      }
      const c = buf.charCodeAt(pos);
      if (isSpace(c)) {
        if (c === NEWLINE) this.line++;
        pos++;
        continue;
      }
      if (this.depth === this.streamDepth && this.streamDepth > 0 && this.captureStart === -1 && !this.skipping && c !== COMMA && c !== CLOSE_BRACKET) {
        this.startCapture(pos);
      }
      switch (c) {
        case QUOTE:
          this.inString = true;
          if (this.depth === 1 && this.streamDepth !== 1 && (this.objectState === 'key' || (this.objectState === 'value' && this.key === 'kind'))) this.stringStart = pos;
          if (this.depth === 1 && this.objectState === 'value') this.objectState = 'after-value';
          pos++;
          break;
        case OPEN_BRACE:
        case OPEN_BRACKET:
          pos = this.open(c, pos);
          break;
        case CLOSE_BRACE:
        case CLOSE_BRACKET:
          this.close(pos);
          pos++;
          break;
        case COMMA:
          if (this.depth === this.streamDepth && this.streamDepth > 0) this.endElement(pos);
          if (this.depth === 1 && this.streamDepth !== 1) this.objectState = 'key';
          pos++;
          break;
        case COLON:
          if (this.depth === 1 && this.objectState === 'colon') this.objectState = 'value';
          pos++;
          break;
        default:
          if (this.depth === 0) {
            pos = this.stray(buf, pos);
          } else {
            if (this.depth === 1 && this.objectState === 'value') this.objectState = 'after-value';
            pos++;
          }
      }
    }
    this.pos = pos;
    this.checkBound();
  }

  /**
   * Inside a string: jumps to its closing quote (or the end of the buffer). A quote is escaped when
   * an odd run of backslashes stands right before it; runs are counted only from `from`, which never
   * falls inside an escape sequence (a run cut by the chunk's end sets `escaped` for the next one).
   */
  private skipString(buf: string, from: number): number {
    let pos = from;
    if (this.escaped) {
      this.escaped = false;
      pos++;
    }
    for (;;) {
      const quote = buf.indexOf('"', pos);
      const stop = quote === -1 ? buf.length : quote;
      let run = 0;
      while (stop - run - 1 >= pos && buf.charCodeAt(stop - run - 1) === BACKSLASH) run++;
      if (quote === -1) {
        this.escaped = run % 2 === 1;
        return buf.length;
      }
      if (run % 2 === 1) {
        pos = quote + 1;
        continue;
      }
      this.inString = false;
      this.endString(buf, quote + 1);
      return quote + 1;
    }
  }

  /** A string at depth 1 of a top-level object closed: a key, or the value of `kind`. */
  private endString(buf: string, end: number): void {
    if (this.stringStart === -1) return;
    const text = buf.slice(this.stringStart, end);
    this.stringStart = -1;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return; // a broken string: JSON.parse of the whole value reports it
    }
    if (this.objectState === 'key') {
      this.key = String(value);
      this.objectState = 'colon';
    } else if (this.key === 'kind') this.kind = String(value);
  }

  private open(c: number, pos: number): number {
    if (this.depth === 0) {
      // A new top-level value: an array streams its elements, an object is captured whole until it
      // turns out to hold Records or EventList items.
      this.streamed = false;
      this.kind = undefined;
      this.objectState = 'key';
      if (c === OPEN_BRACKET) this.beginStream(1, 'array');
      else this.startCapture(pos);
    } else if (this.depth === 1 && this.streamDepth !== 1 && this.objectState === 'value') {
      this.objectState = 'after-value';
      if (c === OPEN_BRACKET && !this.streamed && (this.key === 'Records' || (this.key === 'items' && this.kind === 'EventList'))) {
        this.captureStart = -1; // the object's head is not needed: its records are handed on one by one
        this.skipping = false;
        this.streamed = true;
        this.beginStream(2, this.key);
      }
    }
    this.depth++;
    return pos + 1;
  }

  private beginStream(depth: number, container: RecordContainer): void {
    this.streamDepth = depth;
    this.container = container;
    this.elementIndex = 0;
  }

  private close(pos: number): void {
    if (this.depth === 0) {
      this.sink.problem('unbalanced closing bracket', this.line);
      return;
    }
    if (this.depth === this.streamDepth) {
      this.endElement(pos);
      this.streamDepth = 0;
    }
    this.depth--;
    if (this.depth === 0 && this.captureStart !== -1) {
      this.emit(this.buf.slice(this.captureStart, pos + 1), undefined);
      this.captureStart = -1;
    }
    if (this.depth === 0) this.skipping = false;
  }

  private startCapture(pos: number): void {
    this.captureStart = pos;
    this.captureLine = this.line;
  }

  /** A ',' or ']' at the streamed array's depth ends the element being captured. */
  private endElement(pos: number): void {
    const field = `${this.container === 'array' ? '' : this.container}[${this.elementIndex++}]`;
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    if (this.captureStart === -1) return; // `[]`, or a stray comma: JSON.parse of nothing is not a record
    const text = this.buf.slice(this.captureStart, pos).trimEnd();
    this.captureStart = -1;
    this.emit(text, field);
  }

  private emit(text: string, field: string | undefined): void {
    this.sink.value({ text, line: this.captureLine, ...(field !== undefined ? { field, container: this.container } : {}) });
  }

  /** Text outside any document (a bare word, a number): reported, and the rest of its line skipped. */
  private stray(buf: string, pos: number): number {
    this.sink.problem('not JSON: expected an object or an array', this.line);
    const nl = buf.indexOf('\n', pos);
    return nl === -1 ? buf.length : nl;
  }

  /** A record larger than the bound is not kept: it is reported and skipped to its end. */
  private checkBound(): void {
    if (this.captureStart === -1 || this.skipping || this.pos - this.captureStart <= this.maxRecordChars) return;
    const field = this.depth >= this.streamDepth && this.streamDepth > 0 ? `${this.container === 'array' ? '' : this.container}[${this.elementIndex}]` : undefined;
    this.sink.problem(`record is larger than ${this.maxRecordChars} characters; skipped`, this.captureLine, field);
    this.captureStart = -1;
    this.skipping = true;
  }

  /** Drops the text no longer needed so the buffer holds at most the record being read. */
  private compact(): void {
    const keep = Math.min(...[this.pos, this.captureStart, this.stringStart].filter((i) => i >= 0));
    if (keep === 0) return;
    this.buf = this.buf.slice(keep);
    this.pos -= keep;
    if (this.captureStart >= 0) this.captureStart -= keep;
    if (this.stringStart >= 0) this.stringStart -= keep;
  }
}
