/**
 * The raw event archive's store as configured (VIGIL_ARCHIVE_STORE): the folder VIGIL_DATA_DIR/archive, or an
 * S3-compatible bucket. Ingest writes to it and `vigil hunt` reads from it.
 */
import path from 'node:path';
import type { Config } from '../config';
import { VigilError } from '../error-codes';
import { FolderStore } from '../ingest/archive/folder-store';
import { S3Store } from '../ingest/archive/s3-store';
import type { SegmentStore } from '../ingest/archive/segment-store';

type ArchiveConfig = Pick<
  Config,
  | 'VIGIL_DATA_DIR'
  | 'VIGIL_ARCHIVE_STORE'
  | 'VIGIL_ARCHIVE_S3_ENDPOINT'
  | 'VIGIL_ARCHIVE_S3_BUCKET'
  | 'VIGIL_ARCHIVE_S3_REGION'
  | 'VIGIL_ARCHIVE_S3_ACCESS_KEY_ID'
  | 'VIGIL_ARCHIVE_S3_SECRET_ACCESS_KEY'
>;

export function archiveStoreOf(config: ArchiveConfig): SegmentStore {
  if (config.VIGIL_ARCHIVE_STORE === 'folder') return new FolderStore(path.join(config.VIGIL_DATA_DIR, 'archive'));
  const required = (field: keyof ArchiveConfig): string => {
    const value = config[field];
    if (value === undefined) throw new VigilError('VGL_CONFIG_INVALID', `${field} is required with VIGIL_ARCHIVE_STORE=s3`, { field });
    return value;
  };
  return new S3Store({
    endpoint: required('VIGIL_ARCHIVE_S3_ENDPOINT'),
    bucket: required('VIGIL_ARCHIVE_S3_BUCKET'),
    region: config.VIGIL_ARCHIVE_S3_REGION,
    credentials: { accessKeyId: required('VIGIL_ARCHIVE_S3_ACCESS_KEY_ID'), secretAccessKey: required('VIGIL_ARCHIVE_S3_SECRET_ACCESS_KEY') },
  });
}
