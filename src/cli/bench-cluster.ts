/**
 * `vigil bench --cluster`: the correlator benchmark (pipeline MQTT → ingest → Temporal → alert, signals
 * accepted, correlated detections/s) on the dev server and on the production-like cluster of
 * ops/temporal/cluster.sh, alternately, each run on a fresh server (an empty SQLite file / a new
 * PostgreSQL cluster), and the medians side by side. Alternating spreads the machine's noise over both.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { VigilError } from '../error-codes';
import { clusterSettings, startLocalCluster } from '../temporal/local-cluster';
import type { BenchFigure, BenchOptions } from '../bench/support/bench-figure';

/** A benchmark that runs on `options.temporal` when given. */
export type TargetBench = { run(logger: Logger, options: BenchOptions): Promise<BenchFigure[]> };

/** The benchmarks that take a Temporal target. */
export const clusterBenches = ['correlator'];

/** One figure (name and load) on both servers: medians over the runs (strings: the first run's; '' where absent). */
export interface ComparedFigure {
  name: string;
  unit: string;
  load: string;
  dev: number | string;
  cluster: number | string;
}

export interface ClusterComparison {
  runs: number;
  shards: number;
  figures: ComparedFigure[];
  raw: { dev: BenchFigure[][]; cluster: BenchFigure[][] };
}

function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : Math.round(((sorted[mid - 1]! + sorted[mid]!) / 2) * 10) / 10;
}

/** A figure's identity across runs: several figures share a name and differ by load (e.g. latency at two rates). */
const keyOf = (f: BenchFigure): string => `${f.name}\u0000${f.load}`;

/** Per figure identity, the median over the runs (strings: the first run's). */
function combine(runs: BenchFigure[][]): Map<string, BenchFigure> {
  const byKey = new Map<string, BenchFigure[]>();
  for (const f of runs.flat()) byKey.set(keyOf(f), [...(byKey.get(keyOf(f)) ?? []), f]);
  return new Map([...byKey].map(([key, all]) => {
    const first = all[0]!;
    return [key, typeof first.value === 'number' ? { ...first, value: median(all.map((f) => f.value as number)) } : first];
  }));
}

export function parseClusterOptions(opts: { runs: string; shards?: string }): { runs: number; shards: number } {
  const runs = Number(opts.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new VigilError('VGL_CONFIG_INVALID', `--runs must be a positive integer, got '${opts.runs}'`, { field: '--runs' });
  const shardText = opts.shards ?? clusterSettings().TEMPORAL_HISTORY_SHARDS ?? '';
  const shards = Number(shardText);
  if (!Number.isInteger(shards) || shards < 1) throw new VigilError('VGL_CONFIG_INVALID', `--shards must be a positive integer, got '${shardText}'`, { field: '--shards' });
  return { runs, shards };
}

export async function compareOnCluster(bench: TargetBench, options: { runs: number; shards: number; quick: boolean }, logger: Logger): Promise<ClusterComparison> {
  const dev: BenchFigure[][] = [];
  const cluster: BenchFigure[][] = [];
  for (let i = 1; i <= options.runs; i++) {
    logger.info({ run: i, of: options.runs }, 'bench on the dev server');
    dev.push(await bench.run(logger, { quick: options.quick }));
    logger.info({ run: i, of: options.runs, shards: options.shards }, 'bench on a fresh production-like cluster');
    const started = await startLocalCluster({ dir: mkdtempSync(path.join(tmpdir(), 'vigil-bench-cluster-')), shards: options.shards, logger: logger.child({ cluster: i }) });
    try {
      const start: BenchFigure = { name: 'temporal.cluster_start_s', value: started.startSeconds, unit: 's', load: 'fresh PostgreSQL cluster and Temporal server until the namespace is ready' };
      cluster.push([start, ...(await bench.run(logger, { quick: options.quick, temporal: started }))]);
    } finally {
      await started.destroy();
    }
  }
  const [devMedians, clusterMedians] = [combine(dev), combine(cluster)];
  const keys = [...new Set([...devMedians.keys(), ...clusterMedians.keys()])];
  return {
    runs: options.runs,
    shards: options.shards,
    figures: keys.map((k) => {
      const [d, c] = [devMedians.get(k), clusterMedians.get(k)];
      const { name, unit, load } = (d ?? c)!;
      return { name, unit, load, dev: d?.value ?? '', cluster: c?.value ?? '' };
    }),
    raw: { dev, cluster },
  };
}

/** The medians in `vigil bench --out`'s contract: one figure per server, told apart by `load`. */
export function comparisonFigures(result: ClusterComparison): BenchFigure[] {
  const servers = { dev: `dev server, median of ${result.runs}`, cluster: `cluster with ${result.shards} shards, median of ${result.runs}` };
  return result.figures.flatMap((f) =>
    (['dev', 'cluster'] as const).filter((side) => f[side] !== '').map((side) => ({ name: f.name, value: f[side], unit: f.unit, load: `${f.load}; ${servers[side]}` })),
  );
}

export function formatComparison(result: ClusterComparison): string {
  const show = (v: number | string, unit: string): string => (typeof v === 'number' ? `${v.toLocaleString('en-US', { maximumFractionDigits: 2 })} ${unit}` : v);
  // A name measured under several loads (latency at two rates) is told apart by its load.
  const shared = new Set(result.figures.filter((f, i) => result.figures.findIndex((g) => g.name === f.name) !== i).map((f) => f.name));
  const rows = result.figures.map((f) => [shared.has(f.name) ? `${f.name} [${f.load}]` : f.name, show(f.dev, f.unit), show(f.cluster, f.unit)]);
  const header = ['figure', 'dev server', `cluster (${result.shards} shards)`];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`;
  return `medians of ${result.runs} run(s) each\n` + line(header) + rows.map(line).join('');
}
