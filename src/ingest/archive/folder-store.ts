/**
 * The archive's segment store on a local (or mounted) file system. Durability is by fdatasync of
 * each append and by fsync of every directory whose entries changed (a new segment's name, the
 * renamed index), so an acknowledged event survives a power loss, not only a process crash.
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { AppendTarget, SegmentStore, StoredObject } from './segment-store';

export class FolderStore implements SegmentStore {
  constructor(readonly location: string) {}

  async create(key: string): Promise<AppendTarget> {
    const file = this.pathOf(key);
    await this.makeDirs(path.dirname(file));
    const fh = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND, 0o640);
    try {
      await fsyncDir(path.dirname(file));
    } catch (err) {
      await fh.close();
      throw err;
    }
    return new FileAppender(fh);
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    const file = this.pathOf(key);
    await this.makeDirs(path.dirname(file));
    const temp = `${file}.${process.pid}.tmp`;
    const fh = await open(temp, 'w', 0o640);
    try {
      await fh.writeFile(bytes);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(temp, file);
    await fsyncDir(path.dirname(file));
  }

  async read(key: string, start: number, end: number): Promise<Buffer | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(this.pathOf(key), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const buffer = Buffer.alloc(Math.max(0, end - start));
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await fh.read(buffer, filled, buffer.length - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } finally {
      await fh.close();
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    // Keys are listed from the deepest directory the prefix names, then filtered by the rest of it.
    const slash = prefix.lastIndexOf('/');
    const base = slash === -1 ? '' : prefix.slice(0, slash);
    const found: StoredObject[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(this.pathOf(dir), { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw err;
      }
      for (const entry of entries) {
        const key = dir ? `${dir}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(key);
        } else if (entry.isFile() && key.startsWith(prefix) && !entry.name.endsWith('.tmp')) {
          found.push({ key, size: (await stat(this.pathOf(key))).size });
        }
      }
    };
    await walk(base);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** Keys never leave the folder: each part is checked, so a `..` or absolute key is refused. */
  private pathOf(key: string): string {
    const parts = key === '' ? [] : key.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) throw new Error(`invalid archive key '${key}'`);
    return path.join(this.location, ...parts);
  }

  /** mkdir -p, then fsync the parent of every directory it created, so the new names are durable too. */
  private async makeDirs(dir: string): Promise<void> {
    const first = await mkdir(dir, { recursive: true });
    if (first === undefined) return;
    for (let d = dir; ; d = path.dirname(d)) {
      await fsyncDir(path.dirname(d));
      if (d === first || path.dirname(d) === d) break;
    }
  }
}

class FileAppender implements AppendTarget {
  constructor(private readonly fh: FileHandle) {}

  async append(bytes: Buffer): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += (await this.fh.write(bytes, written, bytes.length - written)).bytesWritten;
    await this.fh.datasync();
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
