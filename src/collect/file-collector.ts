/**
 * `vigil collect file`: reads event files and directories (gzip or not) and, with `follow`, keeps
 * tailing them for appended lines; directories are re-listed each poll so new files are picked up.
 * JSON documents (CloudTrail `Records`, `EventList`, arrays) are read whole; NDJSON and audit logs
 * line by line. Gzip files are read once: they are finished archives, not growing logs.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import { abortableSleep } from './abortable-sleep';
import { VigilError } from '../error-codes';
import type { SourceKind } from '../model/source';
import { AuditdDecoder } from './auditd-decoder';
import { FileTail } from './file-tail';
import { decodeJsonDocument, JsonLineDecoder } from './json-records';
import type { LineDecoder, RecordSink } from './record-sink';

/** Larger files are never parsed as one JSON document (they are NDJSON in practice, and V8 strings are bounded). */
const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;

export interface FileCollectOptions {
  paths: readonly string[];
  source: SourceKind;
  /** Keep tailing the files (and re-listing directories) until `signal` aborts. */
  follow?: boolean;
  /** With `follow`: skip the content present at start-up, publish only what is appended. */
  fromEnd?: boolean;
  pollMs?: number;
  /** Host name for audit records without node=. */
  hostname: string;
  signal?: AbortSignal;
  logger: Logger;
}

async function isGzipFile(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const magic = Buffer.alloc(2);
    await handle.read(magic, 0, 2, 0);
    return magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * The regular files under `p`. A named path that cannot be read is an error; an entry inside a
 * directory that cannot be (a dangling link) is listed anyway, so opening it reports it and the
 * others are read. FIFOs, sockets and devices are skipped: reading them would block or never end.
 */
async function listFiles(p: string, named = true): Promise<string[]> {
  let info;
  try {
    info = await stat(p);
  } catch (e) {
    if (!named) return [p];
    throw new VigilError('VGL_COLLECT_INPUT', `cannot read: ${(e as Error).message}`, { file: p });
  }
  if (info.isFile()) return [p];
  if (!info.isDirectory()) return [];
  const entries = await readdir(p, { withFileTypes: true });
  const nested = await Promise.all(entries.sort((a, b) => a.name.localeCompare(b.name)).map((e) => listFiles(path.join(p, e.name), false)));
  return nested.flat();
}

function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

export class FileCollector {
  private readonly tails = new Map<string, FileTail>();
  /** Gzip archives already read (never followed). */
  private readonly archives = new Set<string>();
  private files = 0;

  constructor(
    private readonly options: FileCollectOptions,
    private readonly sink: RecordSink,
  ) {}

  /** Reads everything there is; with `follow`, keeps going until the signal aborts. Returns the number of files read. */
  async run(): Promise<number> {
    const { follow = false, pollMs = 500, signal } = this.options;
    await this.discover(follow && this.options.fromEnd === true, false);
    await this.drain();
    while (follow && !signal?.aborted) {
      await abortableSleep(pollMs, signal);
      await this.discover(false, true);
      await this.drain();
    }
    for (const tail of this.tails.values()) tail.finish();
    return this.files;
  }

  /** Polls every tail until none has more to read (a large file is read in bounded chunks). */
  private async drain(): Promise<void> {
    for (const tail of this.tails.values()) while ((await tail.poll()) > 0);
  }

  private decoderFor(file: string): LineDecoder {
    return this.options.source === 'auditd'
      ? new AuditdDecoder({ file, hostname: this.options.hostname }, this.sink)
      : new JsonLineDecoder(file, this.options.source, this.sink);
  }

  /**
   * Finds files not read yet. On a rescan (follow mode) a path that disappeared is not an error: log
   * rotation removes and renames files; a followed file that is gone is finished and forgotten.
   */
  private async discover(skipExisting: boolean, rescan: boolean): Promise<void> {
    const lists = await Promise.all(this.options.paths.map((p) => (rescan ? listFiles(p).catch(() => []) : listFiles(p))));
    const files = lists.flat();
    for (const file of files) {
      if (this.tails.has(file) || this.archives.has(file)) continue;
      if (await this.adoptRenamed(file)) continue;
      this.files += 1;
      if (rescan) this.options.logger.info({ file }, 'following a new file');
      try {
        await this.open(file, skipExisting);
      } catch (e) {
        // Unreadable (permissions) or gone between listing and opening: report it, keep the others going.
        this.sink.issue(new VigilError('VGL_COLLECT_INPUT', `cannot read: ${(e as Error).message}`, { file }));
      }
    }
    if (!rescan) return;
    const listed = new Set(files);
    for (const [file, tail] of this.tails) {
      if (listed.has(file) || (await exists(file))) continue;
      tail.finish();
      this.tails.delete(file);
    }
  }

  /**
   * A followed file renamed by rotation (audit.log → audit.log.1) keeps its tail under the new name,
   * so it is neither read again from the start nor cut short; the old name is then a new file.
   */
  private async adoptRenamed(file: string): Promise<boolean> {
    const inode = await stat(file).then((s) => s.ino, () => undefined);
    if (inode === undefined) return false;
    for (const [old, tail] of this.tails) {
      if (tail.currentInode !== inode) continue;
      if ((await stat(old).then((s) => s.ino, () => undefined)) === inode) continue; // a hard link: both names live
      this.options.logger.info({ from: old, to: file }, 'followed file renamed by rotation');
      this.tails.delete(old);
      tail.renameTo(file);
      this.tails.set(file, tail);
      return true;
    }
    return false;
  }

  private async open(file: string, skipExisting: boolean): Promise<void> {
    const info = await stat(file);
    const tail = new FileTail(file, this.decoderFor(file));
    if (skipExisting) {
      tail.skipTo(info.size, 0, info.ino);
      this.tails.set(file, tail);
      return;
    }
    if (await isGzipFile(file)) {
      this.archives.add(file);
      this.readArchive(file, await readFile(file));
      return;
    }
    if (info.size <= MAX_DOCUMENT_BYTES && this.options.source !== 'auditd') {
      const bytes = await readFile(file);
      const text = bytes.toString('utf8');
      if (decodeJsonDocument(text, file, this.options.source, this.sink)) tail.skipTo(bytes.length, text.split('\n').length - 1, info.ino);
    }
    this.tails.set(file, tail);
  }

  private readArchive(file: string, bytes: Buffer): void {
    let text: string;
    try {
      text = gunzipSync(bytes).toString('utf8');
    } catch (e) {
      this.sink.issue(new VigilError('VGL_COLLECT_INPUT', `gzip: ${(e as Error).message}`, { file }));
      return;
    }
    if (this.options.source !== 'auditd' && decodeJsonDocument(text, file, this.options.source, this.sink)) return;
    const decoder = this.decoderFor(file);
    text.split('\n').forEach((line, i) => decoder.line(line, i + 1));
    decoder.flush();
  }
}
