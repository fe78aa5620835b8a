/**
 * Append-only archive of every raw event ingest accepts, for forensics and retro-hunting:
 * `<dataDir>/archive/<tenant>/<source>/<YYYY-MM-DD>.ndjson` (UTC day of arrival). One write and one
 * fdatasync per MQTT message, before the message is acknowledged, so an acknowledged event is on disk.
 * Redelivery after a crash can append an event twice; readers de-duplicate by id.
 */
import type { RawEvent } from '../model/event';
import type { SourceKind } from '../model/source';
import { DayFiles } from './day-files';

export class RawArchive {
  private readonly files: DayFiles;

  constructor(dir: string) {
    this.files = new DayFiles(dir);
  }

  fileFor(tenant: string, source: SourceKind, at: number): string {
    return this.files.fileFor([tenant, source], at);
  }

  /** Events come from the wire decoder, which yields only JSON-safe values, so serialising cannot throw. */
  async append(tenant: string, source: SourceKind, collector: string, events: RawEvent[], at: number): Promise<void> {
    if (events.length === 0) return;
    let text = '';
    for (const e of events) text += JSON.stringify({ id: e.id, time: e.time, tenant, source, collector, data: e.data }) + '\n';
    await this.files.append([tenant, source], at, text);
  }

  close(): Promise<void> {
    return this.files.close();
  }
}
