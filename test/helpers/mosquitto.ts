/**
 * A real Mosquitto broker for tests: started on a free loopback port with a config file written here
 * (MQTT 5, persistence on so a restarted broker keeps sessions and queued QoS 1 messages, anonymous
 * access), or with a given configuration such as the one `vigil broker config` writes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
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

/** A free loopback port and a persistence folder the broker can write, for a configuration of the test's own. */
export async function mosquittoPlace(): Promise<{ port: number; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-mosquitto-'));
  // Started as root, Mosquitto drops to its own user: it must be able to write its persistence file here,
  // or sessions and queued messages silently do not survive a restart.
  chmodSync(dataDir, 0o777);
  return { port: await freePort(), dataDir };
}

/**
 * Mosquitto 2.0 reads its password and plugin files only after dropping root to its own user, so files a
 * root test process wrote with mode 0600 are handed to that user (as the eclipse-mosquitto image's entrypoint does).
 */
function giveToBrokerUser(dir: string): void {
  if (process.getuid?.() !== 0) return;
  const id = spawnSync('id', ['-u', 'mosquitto'], { encoding: 'utf8' });
  if (id.status !== 0) return; // no such user: Mosquitto keeps running as root
  for (const name of readdirSync(dir)) chownSync(path.join(dir, name), Number(id.stdout.trim()), -1);
}

export interface MosquittoOptions {
  /** Run this configuration file instead of the open test one; it listens on `port` (see mosquittoPlace). */
  config?: { file: string; port: number };
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const bin = mosquittoBinary();
  const { port, conf } = options.config ? { port: options.config.port, conf: options.config.file } : await writeOpenConfig();
  if (options.config) giveToBrokerUser(path.dirname(options.config.file));
  let child: ChildProcess | undefined;
  let stderr = '';
  const launch = async (): Promise<void> => {
    const started = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    started.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    const exited = new Promise<never>((_, reject) => started.once('exit', (code) => reject(new Error(`mosquitto exited (${code}): ${stderr}`))));
    exited.catch(() => undefined);
    await Promise.race([waitForPort(port), exited]);
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
  };
}

async function writeOpenConfig(): Promise<{ port: number; conf: string }> {
  const { port, dataDir: dir } = await mosquittoPlace();
  const conf = path.join(dir, 'mosquitto.conf');
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
      '',
    ].join('\n'),
  );
  return { port, conf };
}
