/** Runs the built `vigil` CLI as a child process (a real worker that a test can kill -9). */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { compiledPath, projectRoot } from '../../src/project-root';

export const vigilMain = compiledPath('src/cli/main');

export interface VigilProcess {
  child: ChildProcess;
  output: () => string;
  /** SIGKILL: no graceful shutdown, as in a crash. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export function startVigil(args: string[], env: Record<string, string>): VigilProcess {
  const child = spawn(process.execPath, [vigilMain, ...args], { cwd: projectRoot, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs a one-shot CLI command and returns its exit code and output. */
export function runVigil(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [vigilMain, ...args], { cwd: projectRoot, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * runVigil without blocking this process: for tests whose Temporal worker runs in the jest process
 * (spawnSync would stall it, and with it every workflow task the command waits for).
 */
export function runVigilAsync(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [vigilMain, ...args], { cwd: projectRoot, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Whether a process with this pid exists (signal 0 probes without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
