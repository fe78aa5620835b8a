/**
 * The production-like Temporal cluster of ops/temporal/cluster.sh (the server built from its Go module,
 * PostgreSQL, N history shards), driven from Node for `vigil bench --cluster`. The script does the work
 * (build, database, schemas, server, namespace, search attributes); this runs it in a folder of its own,
 * relays its progress lines, and reads the address it prints.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { projectRoot } from '../project-root';

export const clusterScript = path.join(projectRoot, 'ops', 'temporal', 'cluster.sh');

/** A Temporal frontend a benchmark runs against instead of starting its own dev server. */
export interface TemporalTarget {
  address: string;
  /** What it is, for the figures (e.g. "cluster: PostgreSQL, 4 history shards"). */
  label: string;
}

export interface LocalCluster extends TemporalTarget {
  /** Seconds from `cluster.sh start` to a ready namespace (includes a build only if one was needed). */
  startSeconds: number;
  /** Stops the server and PostgreSQL and deletes the cluster's folder. */
  destroy(): Promise<void>;
}

/** KEY=VALUE lines of ops/temporal/settings.env: the server version and shard count shared with docker-compose.yml. */
export function clusterSettings(): Record<string, string> {
  const text = readFileSync(path.join(projectRoot, 'ops', 'temporal', 'settings.env'), 'utf8');
  return Object.fromEntries([...text.matchAll(/^([A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.trim()]));
}

/** Runs cluster.sh; resolves with its stdout, logs its stderr progress lines, rejects with their tail on failure. */
function runScript(args: string[], logger: Logger): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [clusterScript, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let tail: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        tail = [...tail, line].slice(-20);
        logger.info(line.replace(/^\[temporal-cluster [\d:]+\] /, ''));
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`cluster.sh ${args[0]} exited with ${code}:\n${tail.join('\n')}`))));
  });
}

/** Creates and starts a cluster in `dir` (which it owns and deletes on destroy), frontend on a free loopback port. */
export async function startLocalCluster(options: { dir: string; shards: number; logger: Logger }): Promise<LocalCluster> {
  const where = ['--dir', options.dir];
  const started = Date.now();
  let out: string;
  try {
    out = await runScript(['start', ...where, '--port', '0', '--shards', String(options.shards)], options.logger);
  } catch (err) {
    await runScript(['destroy', ...where], options.logger).catch(() => undefined);
    throw err;
  }
  const address = /^TEMPORAL_ADDRESS=(\S+)$/m.exec(out)?.[1];
  if (!address) throw new Error(`cluster.sh start printed no TEMPORAL_ADDRESS: ${out}`);
  return {
    address,
    label: `cluster: Temporal ${clusterSettings().TEMPORAL_SERVER_VERSION}, PostgreSQL, ${options.shards} history shards`,
    startSeconds: Math.round((Date.now() - started) / 100) / 10,
    destroy: async () => {
      await runScript(['destroy', ...where], options.logger);
    },
  };
}
