/**
 * Reads a growing text file line by line, from an offset, by polling (works on every file system and
 * needs no inotify). A shorter file or a new inode means the file was truncated or rotated: reading
 * restarts at its beginning. A partial last line waits for its newline.
 */
import { open, stat } from 'node:fs/promises';
import type { LineDecoder } from './record-sink';

/** Bytes read per poll at most, so a huge backlog is worked off in bounded steps. */
const MAX_READ_BYTES = 8 * 1024 * 1024;
const NEWLINE = 0x0a;

export class FileTail {
  private offset = 0;
  private inode: number | undefined;
  private lineNumber = 0;
  private partial: Buffer = Buffer.alloc(0);
  /** Lines were decoded since the decoder's last flush. */
  private pending = false;
  private lastDataAt = 0;

  /**
   * @param idleFlushMs how long the file must stay quiet, with no half-written line, before the decoder
   *   is flushed (completing audit events whose EOE never comes; auparse waits 2 s too: eoe_timeout).
   */
  constructor(
    private path: string,
    private readonly decoder: LineDecoder,
    private readonly idleFlushMs = 2000,
  ) {}

  get file(): string {
    return this.path;
  }

  /** The inode being read (undefined before the first read). */
  get currentInode(): number | undefined {
    return this.inode;
  }

  /** Log rotation renamed the file: keep reading it, from where we are, under its new name. */
  renameTo(path: string): void {
    this.path = path;
  }

  /** Continue after content already consumed another way (a whole JSON document of `lines` lines). */
  skipTo(offset: number, lines: number, inode: number): void {
    this.offset = offset;
    this.lineNumber = lines;
    this.inode = inode;
  }

  /** Decodes what was appended since the last poll; returns the bytes read. */
  async poll(): Promise<number> {
    let info;
    try {
      info = await stat(this.path);
    } catch {
      return 0; // gone for now (rotation in progress); try again next poll
    }
    if (this.inode !== undefined && (info.ino !== this.inode || info.size < this.offset)) this.restart();
    this.inode = info.ino;
    if (info.size <= this.offset) {
      if (this.pending && this.partial.length === 0 && Date.now() - this.lastDataAt >= this.idleFlushMs) {
        this.decoder.flush();
        this.pending = false;
      }
      return 0;
    }
    this.lastDataAt = Date.now();
    const length = Math.min(info.size - this.offset, MAX_READ_BYTES);
    const chunk = Buffer.alloc(length);
    const handle = await open(this.path, 'r');
    let read: number;
    try {
      ({ bytesRead: read } = await handle.read(chunk, 0, length, this.offset));
    } finally {
      await handle.close();
    }
    this.offset += read;
    this.decodeLines(Buffer.concat([this.partial, chunk.subarray(0, read)]));
    return read;
  }

  /** End of input: the last line needs no newline. */
  finish(): void {
    if (this.partial.length > 0) this.decoder.line(this.partial.toString('utf8'), ++this.lineNumber);
    this.partial = Buffer.alloc(0);
    this.decoder.flush();
    this.pending = false;
  }

  private decodeLines(bytes: Buffer): void {
    const last = bytes.lastIndexOf(NEWLINE);
    // Split on bytes, not characters: a chunk boundary may fall inside a multi-byte character.
    this.partial = last === -1 ? bytes : bytes.subarray(last + 1);
    if (last === -1) return;
    const lines = bytes.subarray(0, last).toString('utf8').split('\n');
    for (const text of lines) this.decoder.line(text.endsWith('\r') ? text.slice(0, -1) : text, ++this.lineNumber);
    this.pending = true;
  }

  private restart(): void {
    this.offset = 0;
    this.lineNumber = 0;
    this.partial = Buffer.alloc(0);
  }
}
