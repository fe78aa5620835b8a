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
