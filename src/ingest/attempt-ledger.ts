/**
 * How many times ingest started handling a message without finishing, across restarts: a message
 * that crashes ingest (out of memory, a native fault) is redelivered by the broker after every
 * restart, and without a record that survives the crash it would crash ingest forever.
 *
 * Only redeliveries are recorded (the broker sets MQTT's DUP flag on them, MQTT 3.1.1 §3.3.1.1), so a
 * first delivery costs nothing. A record is a small file in `dir` named by the message's fingerprint,
 * holding the number of starts; it is removed when handling finishes (either way). The first,
 * unrecorded delivery counts as one start. Records are not fsynced: they must survive a process
 * crash (the page cache does), and a power cut losing one only allows one more attempt. Records a
 * lost unlink left behind are removed at start-up once older than a day: the directory stays small.
 *
 * A message redelivered while a copy of it is still being handled here (a reconnect, not a crash;
 * recognised by topic, packet id and size, which a redelivery keeps, so no hash is needed for the
 * common case) is not counted. A message whose record already existed has been through a crash with it: it is a
 * suspect, and the caller handles it alone (see IsolationGate) so that the next crash is its own.
 */
import { readdirSync, statSync, unlinkSync, mkdirSync } from 'node:fs';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';

const STALE_MS = 24 * 3600_000;
const FINGERPRINT = /^[0-9a-f]{32}$/;

export interface AttemptStart {
  /** 1 for a first delivery; n when n−1 earlier starts did not finish. */
  attempt: number;
  /** Handling of this message was started before after a redelivery and did not finish (a crash with it). */
  suspect: boolean;
}

/** A message as the ledger sees it: a cheap in-process key, and its fingerprint, computed only when needed. */
export interface LedgerEntry {
  key: string;
  fingerprint(): string;
}

export class AttemptLedger {
  /** Keys of messages being handled in this process, with how many copies. */
  private readonly active = new Map<string, number>();
  /** Keys whose record file this process wrote, with the file's fingerprint. */
  private readonly recorded = new Map<string, string>();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {
    mkdirSync(dir, { recursive: true });
    const now = Date.now();
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      try {
        if (!FINGERPRINT.test(name) || now - statSync(file).mtimeMs > STALE_MS) unlinkSync(file);
      } catch {
        // gone already
      }
    }
  }

  async begin(entry: LedgerEntry, redelivered: boolean): Promise<AttemptStart> {
    const copies = this.active.get(entry.key) ?? 0;
    this.active.set(entry.key, copies + 1);
    if (!redelivered || copies > 0) return { attempt: 1, suspect: false };
    const fingerprint = entry.fingerprint();
    const file = path.join(this.dir, fingerprint);
    const previous = await readFile(file, 'utf8').then(
      (text) => Number.parseInt(text, 10),
      () => undefined,
    );
    const starts = previous !== undefined && Number.isFinite(previous) && previous > 0 ? previous : 1;
    try {
      await writeFile(file, String(starts + 1));
      this.recorded.set(entry.key, fingerprint);
    } catch (err) {
      // Not fatal: the message is handled all the same, only this start goes uncounted.
      this.logger.warn({ err: (err as Error).message, fingerprint }, 'could not record a redelivered message attempt');
    }
    return { attempt: starts + 1, suspect: previous !== undefined };
  }

  /** Handling finished (handed off or dead-lettered): forget the message. */
  async end(key: string): Promise<void> {
    const copies = (this.active.get(key) ?? 1) - 1;
    if (copies > 0) {
      this.active.set(key, copies);
      return;
    }
    this.active.delete(key);
    const fingerprint = this.recorded.get(key);
    if (fingerprint === undefined) return;
    this.recorded.delete(key);
    await unlink(path.join(this.dir, fingerprint)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') this.logger.warn({ err: err.message, fingerprint }, 'could not remove an attempt record');
    });
  }
}
