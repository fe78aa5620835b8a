/**
 * Append-only archive of every raw event ingest accepts, for forensics and retro-hunting:
 * `<dataDir>/archive/<tenant>/<source>/<YYYY-MM-DD>.ndjson` (UTC day of arrival). One write and one
 * fdatasync per MQTT message, before the message is acknowledged, so an acknowledged event is on disk.
 * Redelivery after a crash can append an event twice; readers de-duplicate by id.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { RawEvent } from '../model/event';
import type { SourceKind } from '../model/source';

export class RawArchive {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  constructor(private readonly dir: string) {}

  fileFor(tenant: string, source: SourceKind, at: number): string {
    const day = new Date(at).toISOString().slice(0, 10);
    return path.join(this.dir, tenant, source, `${day}.ndjson`);
  }

  async append(tenant: string, source: SourceKind, collector: string, events: RawEvent[], at: number): Promise<void> {
    if (events.length === 0) return;
    const file = this.fileFor(tenant, source, at);
    let handle = this.handles.get(file);
    if (!handle) {
      handle = mkdir(path.dirname(file), { recursive: true }).then(() => open(file, 'a'));
      this.handles.set(file, handle);
      // Only today's file is written to; close older days' handles.
      for (const [other, h] of this.handles) {
        if (other !== file && path.dirname(other) === path.dirname(file)) {
          this.handles.delete(other);
          void h.then((fh) => fh.close());
        }
      }
    }
    const fh = await handle;
    let text = '';
    for (const e of events) text += JSON.stringify({ id: e.id, time: e.time, tenant, source, collector, data: e.data }) + '\n';
    await fh.write(text);
    await fh.datasync();
  }

  async close(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map(async (h) => (await h).close()));
  }
}
