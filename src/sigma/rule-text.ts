/**
 * Reads a rule file (or the placeholder configuration) only if it is within the byte bound. The
 * size comes from fstat on the open handle, so the file that is read is the file that was measured
 * (even if a name is swapped under a hot-reloading process), and reading stops one byte past the
 * bound: a file that grows between the stat and the read still costs at most `maxFileBytes + 1`
 * bytes. A file over the bound is rejected without reading it.
 * The reads are synchronous: rule files are small and bounded, and the promise-based FileHandle path
 * cost several times the read itself (open/fstat/read/close round trips through the thread pool:
 * ~60 ms of CPU for the 288 SigmaHQ corpus files against ~6 ms synchronously).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { RuleError } from './errors';
import { formatCount, limitReason, RuleFileRejected, type RuleLimits } from './rule-limits';

/** The file's text; VGL_RULE_IO when unreadable, VGL_RULE_TOO_LARGE (RuleFileRejected) when over the bound. */
export async function readRuleText(file: string, limits: Pick<RuleLimits, 'maxFileBytes'>): Promise<string> {
  let read: { text: string } | { tooLarge: number };
  try {
    read = await readBounded(file, limits.maxFileBytes);
  } catch (e) {
    throw new RuleError('VGL_RULE_IO', (e as Error).message, { file });
  }
  if ('text' in read) return read.text;
  throw new RuleFileRejected('VGL_RULE_TOO_LARGE', limitReason('maxFileBytes', limits, `file is ${formatCount(read.tooLarge)} bytes`), { file });
}

async function readBounded(file: string, maxBytes: number): Promise<{ text: string } | { tooLarge: number }> {
  const fd = openSync(file, 'r');
  try {
    const { size } = fstatSync(fd);
    if (size > maxBytes) return { tooLarge: size };
    // The first read normally takes the whole file; more reads happen only if it grew since fstat.
    const chunks: Buffer[] = [];
    let length = 0;
    for (let want = size + 1; length <= maxBytes; want = 64 * 1024) {
      const chunk = Buffer.allocUnsafe(Math.min(want, maxBytes + 1 - length));
      const bytesRead = readSync(fd, chunk, 0, chunk.length, length);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
    }
    if (length > maxBytes) return { tooLarge: length };
    return { text: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length)).toString('utf8') };
  } finally {
    closeSync(fd);
  }
}
