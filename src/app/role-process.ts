/**
 * One role of the embedded stack (`vigil worker`, `vigil ingest`) run as a child process of `vigil dev` / `vigil
 * scenario run`, so each has its own core and event loop: the same command a deployment runs, from the compiled CLI,
 * with the parent's environment plus what the parent computed (addresses, logins). The parent:
 * - waits for the child's ready message on the IPC channel (role-ipc.ts), or fails with VGL_STACK_PROCESS_EXITED if
 *   it ends first;
 * - re-logs the child's lines (JSON, whatever the parent's format) through its own logger tagged `process: <role>`,
 *   so `--log-format` decides how everything looks and stdout stays the parent's (scenario run's --json);
 * - after ready, turns an exit it did not ask for into `failed` (VGL_STACK_PROCESS_EXITED): no half stack;
 * - stops it with SIGTERM (the role's own graceful stop), SIGKILL if it has not ended after `stopGraceMs`.
 * Invariants: the child is in its own process group, so a terminal's Ctrl-C reaches the parent only, which stops the
 * children in order; a parent that dies anyway closes the channel and the child stops itself (role-ipc.ts
 * parentGone), and a parent that exits without stopping it kills it from its exit hook.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { VigilError } from '../error-codes';
import { compiledPath } from '../project-root';
import { RoleReadySchema, type RoleReady } from './role-ipc';

export interface RoleProcess {
  ready: RoleReady;
  pid: number;
  /** Rejects with VGL_STACK_PROCESS_EXITED if the child ends before `stop` is called; never resolves. */
  failed: Promise<never>;
  stop(): Promise<void>;
}

export interface RoleProcessOptions {
  /** The CLI command and its arguments, e.g. ['worker']. */
  args: string[];
  role: string;
  /** The child's whole environment. */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  stopGraceMs?: number;
}

/** Pino's numeric levels to the logger's methods; an unknown level is logged as info. */
const levelNames: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * One line of the child's output into the parent's logger: its JSON log records (the SDK's included: they go through
 * pino, src/temporal/runtime.ts) as records, anything else (a crash trace, a VGL_* error) as a warning.
 */
function relogLine(line: string, role: string, logger: Logger): void {
  if (!line.trim()) return;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    record = undefined;
  }
  if (typeof record !== 'object' || record === null || typeof (record as { level?: unknown }).level !== 'number') {
    logger.warn({ process: role }, line);
    return;
  }
  const { level, msg, time: _time, ...fields } = record as { level: number; msg?: unknown; time?: unknown };
  logger[levelNames[level] ?? 'info']({ ...fields, process: role }, typeof msg === 'string' ? msg : '');
}

function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

export async function startRoleProcess(options: RoleProcessOptions): Promise<RoleProcess> {
  const { role, logger } = options;
  const cli = compiledPath('src/cli/main');
  if (!existsSync(cli)) throw new VigilError('VGL_STACK_PROCESS_EXITED', `cannot start the ${role} process: ${cli} is missing (run npm run build)`, { file: cli });
  const child: ChildProcess = spawn(process.execPath, [cli, ...options.args], {
    // Children log JSON so the parent can re-log them in its own format.
    env: { ...options.env, VIGIL_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => relogLine(line, role, logger));

  let stopping = false;
  // 'close', not 'exit': its output has been read to the end, so its last lines are logged before its failure.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  // An exit without `stop` (Ctrl-C in `vigil scenario run`, an uncaught error) removes what the stack ran on (its
  // temporary data folder, its dev server): a child stopping gracefully then could write into a removed folder.
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  const died = (what: string, code: number | null, signal: NodeJS.Signals | null): VigilError =>
    new VigilError('VGL_STACK_PROCESS_EXITED', `the ${role} process (pid ${child.pid}) ${what} with ${exitText(code, signal)}; stopping the stack`, { field: role });

  const ready = await new Promise<RoleReady>((resolve, reject) => {
    child.on('message', (message) => {
      const parsed = RoleReadySchema.safeParse(message);
      if (parsed.success) resolve(parsed.data);
      else logger.warn({ process: role, message }, 'unexpected IPC message from a stack process');
    });
    child.once('error', (err) => reject(new VigilError('VGL_STACK_PROCESS_EXITED', `cannot start the ${role} process: ${err.message}`, { field: role })));
    void exited.then(({ code, signal }) => reject(died('ended before it was ready', code, signal)));
  });
  logger.info({ process: role, pid: ready.pid }, 'stack process ready');

  const failed = new Promise<never>((_resolve, reject) => {
    void exited.then(({ code, signal }) => {
      if (!stopping) reject(died('exited unexpectedly', code, signal));
    });
  });
  // Observed by whoever races it; without one, the rejection must not end the process on its own.
  failed.catch(() => undefined);

  return {
    ready,
    pid: child.pid!,
    failed,
    stop: async () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const grace = setTimeout(() => {
        logger.warn({ process: role, pid: child.pid }, 'stack process did not stop in time: killing it');
        child.kill('SIGKILL');
      }, options.stopGraceMs ?? 60_000);
      const { code, signal } = await exited;
      clearTimeout(grace);
      if (code !== 0 && signal !== 'SIGTERM') logger.warn({ process: role, pid: child.pid, code, signal }, 'stack process stopped with an error');
    },
  };
}
