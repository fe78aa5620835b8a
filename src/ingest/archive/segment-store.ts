/**
 * Where archive segments live, behind the few operations the archive needs, so that an S3-compatible
 * object store can replace the local folder (folder-store.ts). Keys are `/`-separated relative paths
 * (`acme/k8s_audit/2026-12-02T03.k9x2a1-3f8e.vseg`), listed in key order, which is time order.
 *
 * On S3 (s3-store.ts) `list` is ListObjectsV2 with a prefix, `read` ranged GetObjects, `put` a PutObject (atomic by
 * nature), `delete` DeleteObject; `create`, which S3 has no equivalent for, stores each append as a part object of its
 * own, durable once its PutObject is answered.
 */

/** One stored object, as listed. */
export interface StoredObject {
  readonly key: string;
  readonly size: number;
}

/** A new segment being written by one writer; nobody else appends to it. */
export interface AppendTarget {
  /**
   * Appends `bytes` after everything appended before. **Invariant**: resolves only once these bytes
   * (and all earlier ones) survive a crash of the process or the machine. A rejection leaves the
   * object's tail unknown (a torn frame), so the caller must not append to it again.
   */
  append(bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface SegmentStore {
  /** Creates `key`, which must not exist yet, durably (its name survives a crash once this resolves). */
  create(key: string): Promise<AppendTarget>;
  /** Writes a whole object atomically and durably: readers see the old object or the new one, never a part. */
  put(key: string, bytes: Buffer): Promise<void>;
  /** The object's bytes in [start, end), fewer at its end; undefined when it does not exist. */
  read(key: string, start: number, end: number): Promise<Buffer | undefined>;
  /** Objects whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<StoredObject[]>;
  /** Removes an object; removing one that is gone is not an error. */
  delete(key: string): Promise<void>;
  /** Where the store is (a path, a bucket URL), for messages. */
  readonly location: string;
}
