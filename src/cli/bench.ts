/**
 * `vigil bench` (`npm run bench`): runs every benchmark module in src/bench/ (or those named), prints
 * their figures and writes them to bench-results/<name>.json with the machine they ran on. Speed is
 * measured here, never asserted in tests.
 * Contract for scripts: `--out FILE` also writes every figure of the run as
 * `{"figures":[{"name","value","unit","load"}]}`; `--quick` asks each module for a smaller workload.
 * Every module returns such figures, each with its unit and load; after the run the figures are checked
 * against the contract (src/bench/support/bench-contract.ts: the names the modules that ran must produce)
 * and any problem is printed and makes the exit code 1. `--cluster` compares the dev server with the
 * production-like cluster (bench-cluster.ts).
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { VigilError } from '../error-codes';
import { compiledPath, projectRoot } from '../project-root';
import type { BenchFigure, BenchOptions } from '../bench/support/bench-figure';
import { contractProblems } from '../bench/support/bench-contract';
import { clusterBenches, compareOnCluster, comparisonFigures, formatComparison, parseClusterOptions, type TargetBench } from './bench-cluster';

type BenchModule = { run(logger: Logger, options: BenchOptions): Promise<BenchFigure[]> };

function printFigures(name: string, seconds: number, figures: readonly BenchFigure[]): void {
  process.stdout.write(`\n${name} (${seconds}s)\n`);
  const label = (f: BenchFigure) => (f.load ? `${f.name} [${f.load}]` : f.name);
  const width = Math.max(...figures.map((f) => label(f).length));
  for (const f of figures) {
    const value = typeof f.value === 'number' ? f.value.toLocaleString('en-US', { maximumFractionDigits: 2 }) : f.value;
    process.stdout.write(`  ${label(f).padEnd(width)}  ${value}${f.unit ? ` ${f.unit}` : ''}\n`);
  }
}

export function registerBenchCommands(program: Command, logger: Logger): void {
  program
    .command('bench')
    .description('Run benchmarks (all, or those named: ' + benchNames().join(', ') + '); print figures, write bench-results/*.json')
    .argument('[names...]', 'benchmarks to run')
    .option('--json', 'print one JSON object per benchmark instead of a table')
    .option('--quick', 'smaller workloads (checks the figures can be produced; not for comparison)')
    .option('--out <file>', 'also write every figure as {"figures":[{"name","value","unit","load"}]}')
    .option('--cluster', `run ${clusterBenches.join(', ')} on the dev server and on a fresh production-like Temporal cluster (ops/temporal/cluster.sh) per run; print medians side by side`)
    .option('--runs <n>', 'with --cluster: runs on each server', '3')
    .option('--shards <n>', 'with --cluster: history shards (default: ops/temporal/settings.env)')
    .action(async (names: string[], opts: { json?: boolean; quick?: boolean; out?: string; cluster?: boolean; runs: string; shards?: string }) => {
      const all = opts.cluster ? clusterBenches : benchNames();
      const chosen = names.length > 0 ? names : all;
      for (const name of chosen) {
        if (!all.includes(name)) throw new VigilError('VGL_CONFIG_INVALID', `unknown benchmark '${name}'${opts.cluster ? ' for --cluster' : ''}; one of ${all.join(', ')}`, { field: 'names' });
      }
      const outDir = path.join(projectRoot, 'bench-results');
      mkdirSync(outDir, { recursive: true });
      const everything: BenchFigure[] = [];
      if (opts.cluster) {
        const clusterOptions = { ...parseClusterOptions(opts), quick: opts.quick === true };
        for (const name of chosen) {
          const mod = (await import(compiledPath(`src/bench/${name}`))) as TargetBench;
          const comparison = await compareOnCluster(mod, clusterOptions, logger.child({ bench: name }));
          everything.push(...comparisonFigures(comparison));
          const result = { bench: `${name}-cluster`, at: new Date().toISOString(), machine: machine(), ...comparison };
          writeFileSync(path.join(outDir, `${name}-cluster.json`), JSON.stringify(result, null, 2) + '\n');
          process.stdout.write(opts.json ? JSON.stringify(result) + '\n' : `\n${name}: dev server vs cluster, ${formatComparison(comparison)}`);
        }
      } else {
        for (const name of chosen) {
          const mod = (await import(compiledPath(`src/bench/${name}`))) as BenchModule;
          const started = Date.now();
          const figures = await mod.run(logger.child({ bench: name }), { quick: opts.quick === true });
          everything.push(...figures);
          const result = {
            bench: name,
            at: new Date(started).toISOString(),
            seconds: Math.round((Date.now() - started) / 100) / 10,
            quick: opts.quick === true,
            machine: machine(),
            figures,
          };
          writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(result, null, 2) + '\n');
          if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
          else printFigures(name, result.seconds, figures);
        }
      }
      if (opts.out) writeFileSync(opts.out, JSON.stringify({ figures: everything }, null, 2) + '\n');
      const problems = contractProblems(everything, chosen);
      if (problems.length > 0) {
        process.stderr.write(`\nbenchmark contract not met (src/bench/support/bench-contract.ts):\n${problems.map((p) => `  ${p}\n`).join('')}`);
        process.exitCode = 1;
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
