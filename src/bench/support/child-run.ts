/**
 * Runs a benchmark child process (a CLI, a peer engine) pinned to one core and measures it from the
 * outside: CPU time (user + system, from this process's `cutime`/`cstime`, which the kernel adds each
 * reaped child to), wall time, and peak resident memory (the child's VmHWM, polled while it runs).
 * Linux-only figures; elsewhere CPU falls back to wall time and peak memory to 0.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { clockTicks, statFields } from './child-cpu';

export interface ChildRun {
  readonly status: number | null;
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly peakRssMb: number;
  readonly stderr: string;
}

export interface ChildIo {
  /** File given as standard input (default: none). */
  readonly stdin?: string;
  /** File receiving standard output (default: discarded). */
  readonly stdout?: string;
  readonly env?: Record<string, string>;
}

const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** Whether runs are pinned to one core (taskset present). */
export const pinnedToOneCore = hasTaskset;

/** CPU milliseconds of this process's reaped children so far, or undefined without /proc. */
function childrenCpuMs(): number | undefined {
  try {
    const fields = statFields('/proc/self/stat');
    // After the command name: field 3 (state) is fields[0]; cutime and cstime are fields 16 and 17.
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / clockTicks;
  } catch {
    return undefined;
  }
}

function peakRssKb(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // exited between polls
  }
}

export async function runChild(command: string, args: readonly string[], io: ChildIo = {}): Promise<ChildRun> {
  const [cmd, argv] = hasTaskset ? ['taskset', ['-c', '0', command, ...args]] : [command, [...args]];
  const stdin = io.stdin ? openSync(io.stdin, 'r') : 'ignore';
  const stdout = io.stdout ? openSync(io.stdout, 'w') : 'ignore';
  const cpuBefore = childrenCpuMs();
  const started = performance.now();
  try {
    const child = spawn(cmd, argv, { stdio: [stdin, stdout, 'pipe'], env: { ...process.env, ...io.env } });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, peakRssKb(child.pid!))), 25);
    const status = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    });
    clearInterval(poll);
    const wallMs = performance.now() - started;
    const cpuAfter = childrenCpuMs();
    const cpuMs = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : wallMs;
    return { status, cpuMs, wallMs, peakRssMb: peak / 1024, stderr };
  } finally {
    if (typeof stdin === 'number') closeSync(stdin);
    if (typeof stdout === 'number') closeSync(stdout);
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
