/**
 * An in-memory, headless Temporal CLI dev server run as our own child process, its output read into the logger. For
 * commands whose stdout is their result (`vigil scenario run --json`): the SDK's ephemeral server (dev-server.ts)
 * copies the CLI's banner to this process' stdout (core-bridge testing.rs, get_stdout_stderr) and cannot be told
 * not to. Without a CLI binary on this machine it falls back to the SDK's download path, banner included.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { resolveTemporalCli } from './cli-resolver';
import { startDevServer } from './dev-server';
import { registerSearchAttributes } from './register-search-attributes';

export interface DevServerProcess {
  address: string;
  stop(): Promise<void>;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      server.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

export async function startDevServerProcess(options: { logger: Logger; namespace: string; readyTimeoutMs?: number }): Promise<DevServerProcess> {
  const { logger, namespace } = options;
  const executable = await resolveTemporalCli({ logger });
  if (executable.type !== 'existing-path') {
    const server = await startDevServer({ logger, namespace });
    return { address: server.address, stop: server.stop };
  }
  const port = await freeLoopbackPort();
  const address = `127.0.0.1:${port}`;
  // The flags the SDK's ephemeral server passes, so both behave alike (shared/notes/temporal.md §2).
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace, '--log-format', 'json', '--log-level', 'error'];
  for (const flag of ['frontend.enableUpdateWorkflowExecution=true', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true']) args.push('--dynamic-config-value', flag);
  const child = spawn(executable.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Debug only: its shutdown logs errors of its own internal connections closing. The last lines explain a failed start.
  let lastOutput = '';
  const read = (c: Buffer): void => {
    lastOutput = (lastOutput + c.toString()).slice(-2000);
    logger.debug({ output: c.toString().trim() }, 'temporal dev server');
  };
  child.stdout.on('data', read);
  child.stderr.on('data', read);
  // If this process ends without stopping it (an uncaught error, a signal turned into process.exit), the server
  // must not outlive it: it is in memory, so nothing is lost by killing it.
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`temporal dev server exited with ${child.exitCode} before it was ready: ${lastOutput}`);
      const connection = await Connection.connect({ address, connectTimeout: 1000 }).catch(() => undefined);
      if (connection) {
        try {
          await registerSearchAttributes(connection, namespace, logger);
        } finally {
          await connection.close();
        }
        break;
      }
      if (Date.now() > deadline) throw new Error(`temporal dev server not ready on ${address} after ${options.readyTimeoutMs ?? 30_000} ms`);
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  logger.info({ address }, 'Temporal dev server ready');
  return { address, stop };
}
