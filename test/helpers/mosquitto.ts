/**
 * A real Mosquitto broker for tests: started on a free loopback port with a config file written here
 * (MQTT 5, persistence on so a restarted broker keeps sessions and queued QoS 1 messages).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Mosquitto {
  url: string;
  port: number;
  /** Kill and start again on the same port and persistence file (broker outage). */
  restart(downMs?: number): Promise<void>;
  /** Start again after stop(), same port and persistence file. */
  start(): Promise<void>;
  /** Resolves once the broker process has exited (sessions and queued messages are saved on the way out). */
  stop(): Promise<void>;
  /** Replaces the extra mosquitto.conf lines; they apply from the next start or restart. */
  reconfigure(extraConfig: readonly string[]): void;
}

export function mosquittoBinary(): string {
  for (const candidate of [process.env.MOSQUITTO_BIN, '/usr/sbin/mosquitto', '/usr/bin/mosquitto']) {
    if (candidate && spawnSync(candidate, ['-h']).error === undefined) return candidate;
  }
  throw new Error('mosquitto not found: apt-get install -y mosquitto (or set MOSQUITTO_BIN)');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startMosquitto(): Promise<Mosquitto> {
  const bin = mosquittoBinary();
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-mosquitto-'));
  // Started as root, Mosquitto drops to its own user: it must be able to write its persistence file here,
  // or sessions and queued messages silently do not survive a restart.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  const writeConf = (extra: readonly string[]): void =>
    writeFileSync(
      conf,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${dir}/`,
        'autosave_interval 1',
        'max_queued_messages 100000',
        'max_inflight_messages 100',
        'log_dest stderr',
        'log_type error',
        ...extra,
        '',
      ].join('\n'),
    );
  writeConf([]);
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', () => undefined);
    await waitForPort(port);
  };
  const kill = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await launch();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    restart: async (downMs = 500) => {
      await kill();
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    start: launch,
    stop: kill,
    reconfigure: writeConf,
  };
}
