/** Every event in one tenant's archive (all time, de-duplicated by id), read as `vigil hunt` reads it. */
import type { ArchivedEvent } from '../../src/ingest/archive/archive-scan';
import { scanArchive } from '../../src/ingest/archive/archive-scan';
import { FolderStore } from '../../src/ingest/archive/folder-store';
import type { SourceKind } from '../../src/model/source';

export async function archivedEvents(archiveDir: string, tenant: string, source?: SourceKind): Promise<Map<string, ArchivedEvent>> {
  const events = new Map<string, ArchivedEvent>();
  await scanArchive(new FolderStore(archiveDir), { tenant, ...(source ? { sources: [source] } : {}), from: 0, to: Number.MAX_SAFE_INTEGER }, (e) => events.set(e.id, e));
  return events;
}
