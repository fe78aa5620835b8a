/**
 * Line output for streaming commands (`vigil rules eval`): lines are batched into few writes, the
 * producer is told to wait while the stream's buffer is full (back-pressure), and a reader that goes
 * away (`| head -1`: EPIPE) ends the output quietly: `signal` aborts so the producer stops reading,
 * and the command exits 0 as Unix filters do. Any other write error is raised from ready()/end().
 */
import type { Writable } from 'node:stream';

/** Pending output is written once it reaches this many characters (and at every ready()). */
const FLUSH_CHARS = 64 * 1024;

export class LineWriter {
  private pending: string[] = [];
  private chars = 0;
  private failure: Error | undefined;
  private readonly closed = new AbortController();

  constructor(private readonly stream: Writable) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') this.failure ??= e;
      this.pending = [];
      this.closed.abort();
    });
  }

  /** Aborted once the stream cannot take more (its reader closed, or a write failed). */
  get signal(): AbortSignal {
    return this.closed.signal;
  }

  /** Queues one line (without its newline). */
  write(line: string): void {
    if (this.closed.signal.aborted) return;
    this.pending.push(line);
    this.chars += line.length + 1;
    if (this.chars >= FLUSH_CHARS) this.flush();
  }

  /** Writes what is queued; a promise while the stream is over its high-water mark. */
  ready(): Promise<void> | undefined {
    this.flush();
    if (this.failure) throw this.failure;
    if (!this.stream.writableNeedDrain || this.closed.signal.aborted) return undefined;
    return new Promise((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.closed.signal.removeEventListener('abort', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.closed.signal.addEventListener('abort', done);
    });
  }

  /** Writes the rest and waits until the stream took it; raises a write error other than EPIPE. */
  async end(): Promise<void> {
    await this.ready();
    if (this.failure) throw this.failure;
  }

  private flush(): void {
    if (this.pending.length === 0 || this.closed.signal.aborted) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    this.chars = 0;
    this.stream.write(text);
  }
}
