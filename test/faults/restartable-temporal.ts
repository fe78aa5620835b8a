/**
 * A Temporal dev server the fault suite can kill and start again on the same port and SQLite file, as an
 * operator restarting it would (TestWorkflowEnvironment cannot restart a server in place). Vigil's search
 * attributes are registered on every start, as `vigil dev` does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';
import { freePort } from '../helpers/mosquitto';
import { temporalCliPath, testLogger } from '../helpers/temporal-env';

export interface RestartableTemporal {
  address: string;
  /** SIGKILL the server (no graceful shutdown), then start it again on the same port and database. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function waitUntilServing(address: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        await registerSearchAttributes(connection, 'default', testLogger);
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`Temporal at ${address} did not come up: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function startRestartableTemporal(): Promise<RestartableTemporal> {
  const cli = await temporalCliPath();
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-faults-temporal-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const args = [
    'server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port),
    '--db-filename', path.join(dir, 'temporal.sqlite'), '--namespace', 'default', '--log-level', 'error',
    '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL',
  ];
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'ignore'] });
    await waitUntilServing(address);
  };
  const kill = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };
  await launch();
  return {
    address,
    restart: async (downMs = 1_000) => {
      await kill();
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    stop: kill,
  };
}
