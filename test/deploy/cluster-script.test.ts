/**
 * ops/temporal/cluster.sh and `vigil bench --cluster` without building or starting anything (CI does not
 * run the cluster: see README, "Production-like Temporal"): the script parses, refuses bad options before
 * any build or install, keeps a cluster's fixed settings (shards, frontend port), and never creates
 * folders it was only asked about.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clusterScript } from '../../src/temporal/local-cluster';
import { runVigil } from '../helpers/vigil-process';

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'vigil-cluster-script-'));
// An empty cache: any step that reached the build would start `go install` and show up as a timeout.
const cacheDir = tmp();

function script(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', [clusterScript, ...args], { env: { ...process.env, VIGIL_CACHE_DIR: cacheDir }, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A folder holding what `start` records for a cluster it created. */
function existingCluster(shards: number, port: number): string {
  const dir = tmp();
  writeFileSync(path.join(dir, 'cluster.env'), `SHARDS=${shards}\nFRONTEND_PORT=${port}\nPASSWORD=${'ab'.repeat(24)}\n`);
  return dir;
}

test('the script parses; an unknown command prints the usage', () => {
  expect(spawnSync('bash', ['-n', clusterScript]).status).toBe(0);
  const r = script(['frobnicate']);
  expect(r.status).toBe(2);
  expect(r.stdout).toContain('Usage: ops/temporal/cluster.sh build|start|stop|status|address|destroy');
});

test('bad options are refused before anything is built or a folder is made', () => {
  const dir = path.join(tmp(), 'cluster');
  for (const [args, message] of [
    [['--shards', '0'], "--shards must be a positive integer, got '0'"],
    [['--shards', 'four'], "--shards must be a positive integer, got 'four'"],
    [['--port', '70000'], "--port must be 0-65535, got '70000'"],
    [['--bogus', '1'], "unknown option '--bogus'"],
  ] as const) {
    const r = script(['start', '--dir', dir, ...args]);
    expect([r.status, r.stderr]).toEqual([1, expect.stringContaining(message)]);
  }
  expect(existsSync(dir)).toBe(false);
  expect(existsSync(path.join(cacheDir, 'temporal-server'))).toBe(false);
});

test("a cluster keeps the shard count and frontend port it was created with", () => {
  const dir = existingCluster(4, 17233);
  const shards = script(['start', '--dir', dir, '--shards', '8']);
  expect([shards.status, shards.stderr]).toEqual([1, expect.stringContaining('created with 4 history shards (fixed for its lifetime)')]);
  const port = script(['start', '--dir', dir, '--port', '7299']);
  expect([port.status, port.stderr]).toEqual([1, expect.stringContaining("this cluster's frontend is on port 17233")]);
  expect(script(['address', '--dir', dir])).toEqual({ status: 0, stdout: '127.0.0.1:17233\n', stderr: '' });
});

test('status, address and destroy of a folder without a cluster say so and create nothing', () => {
  const dir = path.join(tmp(), 'none');
  expect(script(['status', '--dir', dir])).toMatchObject({ status: 1, stdout: `no cluster in ${dir}\n` });
  expect(script(['address', '--dir', dir])).toMatchObject({ status: 1, stderr: expect.stringContaining(`no cluster in ${dir}`) });
  expect(existsSync(dir)).toBe(false);

  // destroy deletes only a folder the script made (cluster.env or postgres/ inside).
  const other = tmp();
  mkdirSync(path.join(other, 'keep'));
  expect(script(['destroy', '--dir', other]).status).toBe(0);
  expect(existsSync(path.join(other, 'keep'))).toBe(true);
});

test('vigil bench --cluster refuses benchmarks that take no Temporal target and bad run or shard counts', () => {
  const cases: [string[], RegExp][] = [
    [['bench', '--cluster', 'sigma'], /VGL_CONFIG_INVALID.*unknown benchmark 'sigma' for --cluster; one of correlator/],
    [['bench', '--cluster', '--runs', '0'], /VGL_CONFIG_INVALID.*--runs must be a positive integer, got '0'/],
    [['bench', '--cluster', '--shards', 'x'], /VGL_CONFIG_INVALID.*--shards must be a positive integer, got 'x'/],
  ];
  for (const [args, message] of cases) {
    const r = runVigil(args, {});
    expect([r.status, r.stderr]).toEqual([2, expect.stringMatching(message)]);
  }
});
