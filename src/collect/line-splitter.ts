/**
 * Text pushed in chunks → complete lines with their 1-based numbers. A line longer than the bound is
 * reported once and skipped to its newline, so memory stays bounded whatever the input. A final line
 * without a newline is a line too (end()). A trailing `\r` (CRLF files) is removed.
 */
export class LineSplitter {
  private partial = '';
  private skipping = false;
  private lineNumber = 0;

  constructor(
    private readonly onLine: (text: string, lineNumber: number) => void,
    private readonly onTooLong: (lineNumber: number) => void,
    private readonly maxChars: number,
  ) {}

  /** Lines completed so far. */
  get lines(): number {
    return this.lineNumber;
  }

  write(text: string): void {
    let start = 0;
    let nl = text.indexOf('\n');
    if (this.partial !== '' || this.skipping) {
      // Only the first line continues the previous chunk: the rest of the chunk is never copied.
      if (nl === -1) {
        if (!this.skipping) this.keep(this.partial + text);
        return;
      }
      this.lineNumber++;
      if (!this.skipping) this.emit(this.partial + text.slice(0, nl));
      this.partial = '';
      this.skipping = false;
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    for (; nl !== -1; nl = text.indexOf('\n', start)) {
      this.lineNumber++;
      this.emit(text.slice(start, nl));
      start = nl + 1;
    }
    if (start < text.length) this.keep(start === 0 ? text : text.slice(start));
  }

  /** Holds an unfinished line, unless it is already past the bound. */
  private keep(partial: string): void {
    if (partial.length <= this.maxChars) {
      this.partial = partial;
      return;
    }
    this.onTooLong(this.lineNumber + 1);
    this.partial = '';
    this.skipping = true;
  }

  end(): void {
    if (this.partial !== '') {
      this.lineNumber++;
      this.emit(this.partial);
    }
    this.partial = '';
    this.skipping = false;
  }

  private emit(text: string): void {
    this.onLine(text.endsWith('\r') ? text.slice(0, -1) : text, this.lineNumber);
  }
}
