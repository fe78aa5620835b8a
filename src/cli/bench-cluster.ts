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

export type Figures = Record<string, number | string>;
/** A benchmark that runs on `options.temporal` when given, and returns flat figures (medians are taken per key). */
export type TargetBench = { run(logger: Logger, options: BenchOptions): Promise<Figures> };

/** The benchmarks that take a Temporal target. */
export const clusterBenches = ['correlator'];

export interface ClusterComparison {
  runs: number;
  shards: number;
  /** Per figure: median over the runs on the dev server and on the cluster (strings: the first run's). */
  figures: Record<string, { dev: number | string; cluster: number | string }>;
  raw: { dev: Figures[]; cluster: Figures[] };
}

function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : Math.round(((sorted[mid - 1]! + sorted[mid]!) / 2) * 10) / 10;
}

function combine(runs: Figures[]): Record<string, number | string> {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(keys.map((k) => {
    const values = runs.map((r) => r[k]);
    return [k, typeof values[0] === 'number' ? median(values as number[]) : (values[0] ?? '')];
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
  const dev: Figures[] = [];
  const cluster: Figures[] = [];
  for (let i = 1; i <= options.runs; i++) {
    logger.info({ run: i, of: options.runs }, 'bench on the dev server');
    dev.push(await bench.run(logger, { quick: options.quick }));
    logger.info({ run: i, of: options.runs, shards: options.shards }, 'bench on a fresh production-like cluster');
    const started = await startLocalCluster({ dir: mkdtempSync(path.join(tmpdir(), 'vigil-bench-cluster-')), shards: options.shards, logger: logger.child({ cluster: i }) });
    try {
      cluster.push({ cluster_start_s: started.startSeconds, ...(await bench.run(logger, { quick: options.quick, temporal: started })) });
    } finally {
      await started.destroy();
    }
  }
  const [devMedians, clusterMedians] = [combine(dev), combine(cluster)];
  const keys = [...new Set([...Object.keys(devMedians), ...Object.keys(clusterMedians)])];
  return {
    runs: options.runs,
    shards: options.shards,
    figures: Object.fromEntries(keys.map((k) => [k, { dev: devMedians[k] ?? '', cluster: clusterMedians[k] ?? '' }])),
    raw: { dev, cluster },
  };
}

/** The medians in `vigil bench --out`'s contract: one figure per server, told apart by `load`. */
export function comparisonFigures(bench: string, result: ClusterComparison): BenchFigure[] {
  const loads = { dev: `dev server, median of ${result.runs}`, cluster: `cluster with ${result.shards} shards, median of ${result.runs}` };
  return Object.entries(result.figures).flatMap(([key, values]) =>
    (['dev', 'cluster'] as const).filter((side) => values[side] !== '').map((side) => ({ name: `${bench}.${key}`, value: values[side], unit: '', load: loads[side] })),
  );
}

export function formatComparison(result: ClusterComparison): string {
  const show = (v: number | string): string => (typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : v);
  const rows = Object.entries(result.figures).map(([k, v]) => [k, show(v.dev), show(v.cluster)]);
  const header = ['figure', 'dev server', `cluster (${result.shards} shards)`];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`;
  return `medians of ${result.runs} run(s) each\n` + line(header) + rows.map(line).join('');
}
