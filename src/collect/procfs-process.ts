/**
 * What /proc says about one process, readable without privileges: /proc/PID/stat, status and cmdline
 * are world-readable; exe and cwd links only for our own user's processes (or with
 * CAP_SYS_PTRACE), so they are optional.
 * Reference: proc(5).
 */
import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

export interface ProcfsProcess {
  pid: number;
  ppid: number;
  /** Clock ticks after boot when the process started (proc(5) stat field 22). */
  startTicks: number;
  uid: string;
  /** argv; empty for kernel threads. */
  argv: string[];
  exe: string | undefined;
  cwd: string | undefined;
}

/** A process that is gone (or turned zombie) while it was being read. */
export class ProcessVanished extends Error {}

async function optionalLink(file: string): Promise<string | undefined> {
  try {
    return await readlink(file);
  } catch {
    return undefined;
  }
}

async function required(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new ProcessVanished(file);
  }
}

/** Fields after the `(comm)` of /proc/PID/stat (comm may contain spaces and parentheses). */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export async function readProcess(procRoot: string, pid: number): Promise<ProcfsProcess> {
  const dir = path.join(procRoot, String(pid));
  const [stat, status, cmdline, exe, cwd] = await Promise.all([
    required(path.join(dir, 'stat')),
    required(path.join(dir, 'status')),
    required(path.join(dir, 'cmdline')),
    optionalLink(path.join(dir, 'exe')),
    optionalLink(path.join(dir, 'cwd')),
  ]);
  const fields = statFields(stat);
  // fields[0] is stat field 3 (state); ppid is field 4, starttime field 22.
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  if (fields.length < 20 || uid === undefined) throw new ProcessVanished(dir);
  return {
    pid,
    ppid: Number(fields[1]),
    startTicks: Number(fields[19]),
    uid,
    argv: cmdline.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1),
    exe,
    cwd,
  };
}

/** Seconds since the epoch at boot (`btime` in /proc/stat): start ticks are relative to it. */
export async function bootTimeSeconds(procRoot: string): Promise<number> {
  const text = await readFile(path.join(procRoot, 'stat'), 'utf8');
  const btime = /^btime (\d+)/m.exec(text)?.[1];
  if (!btime) throw new Error(`${procRoot}/stat has no btime line`);
  return Number(btime);
}
