/**
 * Linux process_creation events without privileges or kernel hooks: every interval, list /proc and
 * describe each PID not seen before with Sigma's process_creation field names (Image, CommandLine,
 * ParentImage, ParentCommandLine, User, ProcessId, ParentProcessId, CurrentDirectory), timed by the
 * process's own start time. Processes that live shorter than one interval can be missed: polling
 * trades completeness for needing no privileges (auditd or eBPF see every exec).
 *
 * A new PID can be read between its fork and its exec, when it still shows its parent's command line (a shell
 * running a command forks, then execs). Each PID first described in the previous pass is therefore read once
 * more; if it has exec'd since, the new image is an event of its own. An exec later than one interval after the
 * fork is not seen.
 */
import { readdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { abortableSleep } from './abortable-sleep';
import { bootTimeSeconds, ProcessVanished, readProcess, type ProcfsProcess } from './procfs-process';
import { UserNames } from './user-names';

/**
 * **Invariant**: /proc start times are in USER_HZ ticks, which the kernel fixes at 100 on every
 * architecture Node runs on (x86, arm, arm64, ppc, s390), whatever CONFIG_HZ is.
 */
const USER_HZ = 100;

export interface ProcfsPollerOptions {
  hostname: string;
  emit: (event: Record<string, unknown>) => void;
  logger: Logger;
  procRoot?: string;
  passwdFile?: string;
}

export interface ProcfsCounts {
  scans: number;
  emitted: number;
  /** New processes that exited before they could be read. */
  vanished: number;
  /** Kernel threads (no command line): not process creations of interest. */
  kernelThreads: number;
}

function commandLine(argv: string[]): string {
  return argv.join(' ');
}

/** Same process (start time), new program: an exec happened between the two reads. */
function execedSince(before: ProcfsProcess, now: ProcfsProcess): boolean {
  if (before.startTicks !== now.startTicks) return true; // the PID was reused: a new process altogether
  return before.exe !== now.exe || commandLine(before.argv) !== commandLine(now.argv);
}

export class ProcfsPoller {
  private readonly procRoot: string;
  private readonly users: UserNames;
  /**
   * The last description read of each live PID. A PID that exits and is reused within one interval
   * is not noticed (it looks seen); at Linux's PID allocation pace that needs pid_max forks per interval.
   */
  private readonly described = new Map<number, ProcfsProcess>();
  /** PIDs first described in the previous pass: read once more, in case they were caught before their exec. */
  private young = new Set<number>();
  private bootSeconds: number | undefined;
  readonly counts: ProcfsCounts = { scans: 0, emitted: 0, vanished: 0, kernelThreads: 0 };

  constructor(private readonly options: ProcfsPollerOptions) {
    this.procRoot = options.procRoot ?? '/proc';
    this.users = new UserNames(options.passwdFile);
  }

  /** Records the processes already running without emitting them: only creations after start are events. */
  async baseline(): Promise<void> {
    if (this.bootSeconds !== undefined) return;
    this.bootSeconds = await bootTimeSeconds(this.procRoot);
    await this.scan(false);
  }

  /** One pass over /proc; emits an event per process started since the previous pass. */
  async poll(): Promise<void> {
    await this.scan(true);
  }

  private async scan(emit: boolean): Promise<void> {
    this.counts.scans += 1;
    const pids = (await readdir(this.procRoot)).filter((name) => /^\d+$/.test(name)).map(Number);
    const live = new Set(pids);
    for (const pid of this.described.keys()) if (!live.has(pid)) this.described.delete(pid);
    const fresh: ProcfsProcess[] = [];
    const young = new Set<number>();
    for (const pid of pids) {
      const known = this.described.get(pid);
      if (known && !this.young.has(pid)) continue;
      try {
        const proc = await readProcess(this.procRoot, pid);
        this.described.set(pid, proc);
        if (known && !execedSince(known, proc)) continue;
        if (!known) young.add(pid);
        fresh.push(proc);
      } catch (e) {
        if (!(e instanceof ProcessVanished)) throw e;
        if (emit && !known) this.counts.vanished += 1;
      }
    }
    this.young = young;
    if (!emit) return;
    // Oldest first, so a parent started in the same interval is described before its children.
    fresh.sort((a, b) => a.startTicks - b.startTicks);
    for (const proc of fresh) {
      if (proc.argv.length === 0) {
        this.counts.kernelThreads += 1;
        continue;
      }
      this.options.emit(this.eventOf(proc, await this.parentOf(proc)));
      this.counts.emitted += 1;
    }
  }

  /** The parent as it is now (it may have exec'd since it was first seen), else as last seen. */
  private async parentOf(proc: ProcfsProcess): Promise<ProcfsProcess | undefined> {
    try {
      const parent = await readProcess(this.procRoot, proc.ppid);
      this.described.set(parent.pid, parent);
      return parent;
    } catch (e) {
      if (!(e instanceof ProcessVanished)) throw e;
      return this.described.get(proc.ppid);
    }
  }

  private eventOf(proc: ProcfsProcess, parent: ProcfsProcess | undefined): Record<string, unknown> {
    const startMs = this.bootSeconds! * 1000 + Math.round((proc.startTicks * 1000) / USER_HZ);
    return {
      timestamp: new Date(startMs).toISOString(),
      Hostname: this.options.hostname,
      ProcessId: proc.pid,
      ParentProcessId: proc.ppid,
      Image: proc.exe ?? proc.argv[0],
      CommandLine: commandLine(proc.argv),
      User: this.users.nameOf(proc.uid),
      ...(proc.cwd !== undefined ? { CurrentDirectory: proc.cwd } : {}),
      ...(parent && parent.argv.length > 0 ? { ParentImage: parent.exe ?? parent.argv[0], ParentCommandLine: commandLine(parent.argv) } : {}),
    };
  }

  /** Polls every `intervalMs` until the signal aborts (taking the baseline first unless done already). */
  async run(intervalMs: number, signal: AbortSignal): Promise<void> {
    await this.baseline();
    while (!signal.aborted) {
      await abortableSleep(intervalMs, signal);
      if (!signal.aborted) await this.poll();
    }
    this.options.logger.info({ ...this.counts }, 'procfs poller stopped');
  }
}
