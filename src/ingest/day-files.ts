/**
 * Append-only NDJSON files, one per UTC day under a directory path: `<root>/<...parts>/<YYYY-MM-DD>.ndjson`.
 * Each append is one write and one fdatasync, so what a caller acknowledges after `append` resolves is
 * on disk. Shared by the raw archive and the local dead-letter file.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export class DayFiles {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  constructor(readonly root: string) {}

  fileFor(parts: readonly string[], at: number): string {
    const day = new Date(at).toISOString().slice(0, 10);
    return path.join(this.root, ...parts, `${day}.ndjson`);
  }

  /** Appends `text` (whole lines) to the day file of `at`. */
  async append(parts: readonly string[], at: number, text: string): Promise<void> {
    const file = this.fileFor(parts, at);
    let handle = this.handles.get(file);
    if (!handle) {
      handle = mkdir(path.dirname(file), { recursive: true }).then(() => open(file, 'a'));
      // A failed open is not cached: the next append tries again (the disk may come back).
      handle.catch(() => this.handles.delete(file));
      this.handles.set(file, handle);
      // Only today's file is written to; close older days' handles.
      for (const [other, h] of this.handles) {
        if (other !== file && path.dirname(other) === path.dirname(file)) {
          this.handles.delete(other);
          void h.then((fh) => fh.close(), () => undefined);
        }
      }
    }
    const fh = await handle;
    await fh.write(text);
    await fh.datasync();
  }

  async close(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map((h) => h.then((fh) => fh.close(), () => undefined)));
  }
}
