/**
 * `vigil collect file`: reads event files and directories (gzip or not) and, with `follow`, keeps
 * tailing them for appended lines; directories are re-listed each poll so new files are picked up.
 * JSON documents (CloudTrail `Records`, `EventList`, arrays) and gzip files are streamed record by
 * record (record-reader.ts); NDJSON and audit logs are tailed line by line. Gzip files are read once:
 * they are finished archives, not growing logs.
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { abortableSleep } from './abortable-sleep';
import { VigilError } from '../error-codes';
import type { SourceKind } from '../model/source';
import { AuditdDecoder } from './auditd-decoder';
import { FileTail } from './file-tail';
import { checkedRecords, JsonLineDecoder, jsonLayout, type JsonLayout } from './json-records';
import { readRecords } from './record-reader';
import type { LineDecoder, RawRecordSink, RecordSink } from './record-sink';

/** Bytes of a file's start read to tell a JSON document from NDJSON (json-records.ts reads up to 1 Mi characters). */
const LAYOUT_PROBE_BYTES = 4 * 1024 * 1024;

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

/** Whether the file is gzip, and if not how its JSON is laid out. */
async function fileKind(file: string): Promise<'gzip' | JsonLayout> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.allocUnsafe(Math.min(size, LAYOUT_PROBE_BYTES));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    return jsonLayout(head.subarray(0, bytesRead).toString('utf8'), bytesRead < LAYOUT_PROBE_BYTES) ?? 'document';
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
    const kind = await fileKind(file);
    if (kind === 'gzip') {
      this.archives.add(file);
      await this.readWhole(file);
      return;
    }
    if (kind === 'document' && this.options.source !== 'auditd') {
      // Followed afterwards for appended lines; an unreadable document (reported) is not read again as NDJSON.
      const read = await this.readWhole(file);
      tail.skipTo(read?.bytes ?? info.size, read?.lines ?? 0, info.ino);
    }
    this.tails.set(file, tail);
  }

  /** Streams a whole file (gzip archive or JSON document) into the sink; undefined when it could not be read. */
  private async readWhole(file: string): Promise<{ bytes: number; lines: number } | undefined> {
    const format = this.options.source === 'auditd' ? 'auditd' : 'json';
    const sink: RawRecordSink =
      format === 'json' ? checkedRecords(file, this.options.source, this.sink) : { record: (data) => this.sink.record(data as Record<string, unknown>), issue: (e) => this.sink.issue(e) };
    try {
      return await readRecords(file, { format, code: 'VGL_COLLECT_INPUT', hostname: this.options.hostname }, sink);
    } catch (e) {
      if (!(e instanceof VigilError)) throw e;
      this.sink.issue(e);
      return undefined;
    }
  }
}
