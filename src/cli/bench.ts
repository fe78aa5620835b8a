/**
 * `vigil bench` (`npm run bench`): runs every benchmark module in src/bench/ (or those named), prints
 * their figures and writes them to bench-results/<name>.json with the machine they ran on. Speed is
 * measured here, never asserted in tests. `--cluster` compares the dev server with the production-like
 * cluster (bench-cluster.ts).
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { VigilError } from '../error-codes';
import { compiledPath, projectRoot } from '../project-root';
import { clusterBenches, compareOnCluster, formatComparison, parseClusterOptions, type TargetBench } from './bench-cluster';

type BenchModule = { run(logger: Logger): Promise<Record<string, number | string>> };

export function registerBenchCommands(program: Command, logger: Logger): void {
  program
    .command('bench')
    .description('Run benchmarks (all, or those named: ' + benchNames().join(', ') + '); print figures, write bench-results/*.json')
    .argument('[names...]', 'benchmarks to run')
    .option('--json', 'print one JSON object per benchmark instead of a table')
    .option('--cluster', `run ${clusterBenches.join(', ')} on the dev server and on a fresh production-like Temporal cluster (ops/temporal/cluster.sh) per run; print medians side by side`)
    .option('--runs <n>', 'with --cluster: runs on each server', '3')
    .option('--shards <n>', 'with --cluster: history shards (default: ops/temporal/settings.env)')
    .action(async (names: string[], opts: { json?: boolean; cluster?: boolean; runs: string; shards?: string }) => {
      const all = opts.cluster ? clusterBenches : benchNames();
      const chosen = names.length > 0 ? names : all;
      for (const name of chosen) {
        if (!all.includes(name)) throw new VigilError('VGL_CONFIG_INVALID', `unknown benchmark '${name}'${opts.cluster ? ' for --cluster' : ''}; one of ${all.join(', ')}`, { field: 'names' });
      }
      const outDir = path.join(projectRoot, 'bench-results');
      mkdirSync(outDir, { recursive: true });
      if (opts.cluster) {
        const clusterOptions = parseClusterOptions(opts);
        for (const name of chosen) {
          const mod = (await import(compiledPath(`src/bench/${name}`))) as TargetBench;
          const comparison = await compareOnCluster(mod, clusterOptions, logger.child({ bench: name }));
          const result = { bench: `${name}-cluster`, at: new Date().toISOString(), machine: machine(), ...comparison };
          writeFileSync(path.join(outDir, `${name}-cluster.json`), JSON.stringify(result, null, 2) + '\n');
          process.stdout.write(opts.json ? JSON.stringify(result) + '\n' : `\n${name}: dev server vs cluster, ${formatComparison(comparison)}`);
        }
        return;
      }
      for (const name of chosen) {
        const mod = (await import(compiledPath(`src/bench/${name}`))) as BenchModule;
        const started = Date.now();
        const figures = await mod.run(logger.child({ bench: name }));
        const result = {
          bench: name,
          at: new Date(started).toISOString(),
          seconds: Math.round((Date.now() - started) / 100) / 10,
          machine: machine(),
          figures,
        };
        writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(result, null, 2) + '\n');
        if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
        else {
          process.stdout.write(`\n${name} (${result.seconds}s)\n`);
          const width = Math.max(...Object.keys(figures).map((k) => k.length));
          for (const [k, v] of Object.entries(figures)) {
            process.stdout.write(`  ${k.padEnd(width)}  ${typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : v}\n`);
          }
        }
      }
    });
}

function machine(): Record<string, string | number | undefined> {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
}

function benchNames(): string[] {
  try {
    return readdirSync(path.dirname(compiledPath('src/bench/x')))
      .filter((f) => f.endsWith('.js'))
      .map((f) => f.slice(0, -3))
      .sort();
  } catch {
    return [];
  }
}
