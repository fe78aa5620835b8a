/**
 * The whole `vigil rules eval` path (read, parse, match, write hits) as a user runs it, against the
 * rsigma peer (Rust, rsigma-eval 0.23.0) on the same rules and the same NDJSON events, each process
 * pinned to one core; per stream the median of RUNS runs of events per CPU second, their ratio, peak
 * memory, and whether both found the same hits (any difference is counted and logged).
 * Streams (replayed to STREAM_EVENTS): CloudTrail = Stratus Red Team detonation logs with SigmaHQ's
 * AWS CloudTrail rules; k8s audit = Falco's recorded audit events with SigmaHQ's Kubernetes audit
 * rules; process = synthetic process_creation events with SigmaHQ's Linux process_creation rules.
 * Also: rule set load (all SigmaHQ corpus rules), the same stream gzip-compressed, and `vigil --help`.
 */
import { mkdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import type { Logger } from 'pino';
import type { BenchFigure, BenchOptions } from './support/bench-figure';
import type { SourceKind } from '../model/source';
import { compiledPath, projectRoot } from '../project-root';
import { median, pinnedToOneCore, runChild, type ChildRun } from './support/child-run';
import { eventsIn, processEvents } from './support/corpus-events';
import { buildRsigmaPeer } from './support/rsigma-peer';

const RUNS = 3;
const corpus = join(projectRoot, 'test', 'corpus');
const sigmahq = join(corpus, 'sigmahq');
const workDir = join(projectRoot, '.cache', 'bench', 'matcher');
const vigil = compiledPath('src/cli/main');

interface Stream {
  readonly name: string;
  readonly source: SourceKind;
  readonly rules: string;
  readonly file: string;
  readonly events: number;
  readonly load: string;
}

/** Writes `events` replayed to `count` lines of NDJSON (gzip-compressed when the name ends in .gz). */
async function writeStream(file: string, events: readonly unknown[], count: number): Promise<void> {
  const lines = events.map((e) => JSON.stringify(e) + '\n');
  const out = createWriteStream(file);
  const sink = file.endsWith('.gz') ? createGzip() : out;
  if (sink !== out) sink.pipe(out);
  for (let i = 0; i < count; i++) if (!sink.write(lines[i % lines.length]!)) await once(sink, 'drain');
  sink.end();
  await once(out, 'finish');
}

async function streams(count: number): Promise<Stream[]> {
  mkdirSync(workDir, { recursive: true });
  const defs = [
    { name: 'cloudtrail', source: 'cloudtrail', rules: 'rules/cloud/aws/cloudtrail', events: await eventsIn(join(corpus, 'stratus-red-team', 'docs', 'detonation-logs')), what: 'Stratus CloudTrail' },
    { name: 'k8s_audit', source: 'k8s_audit', rules: 'rules/application/kubernetes/audit', events: await eventsIn(join(corpus, 'falco-k8s-audit', 'test', 'trace_files', 'k8s_audit')), what: 'Falco k8s audit' },
    { name: 'process', source: 'process', rules: 'rules/linux/process_creation', events: processEvents(), what: 'synthetic process_creation' },
  ] as const;
  const out: Stream[] = [];
  for (const d of defs) {
    const file = join(workDir, `${d.name}.ndjson`);
    await writeStream(file, d.events, count);
    out.push({ name: d.name, source: d.source, rules: join(sigmahq, d.rules), file, events: count, load: `${d.name}: ${count} ${d.what} events, SigmaHQ ${d.rules}` });
  }
  const ct = out[0]!;
  const gz = join(workDir, 'cloudtrail.ndjson.gz');
  await writeStream(gz, defs[0].events, count);
  out.push({ ...ct, name: 'cloudtrail_gzip', file: gz, load: `${ct.load} (gzip)` });
  return out;
}

/** Hits as `rule id@event index`, from either engine's NDJSON output (the same line shape). */
function hitsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const hits: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const h = JSON.parse(line) as { type: string; rule: { id: string | null; title: string }; event: { index: number } };
    if (h.type === 'detection') hits.push(`${h.rule.id ?? h.rule.title}@${h.event.index}`);
  }
  return hits;
}

/** Hits found by one engine and not the other (multiset difference both ways). */
function hitDifference(a: readonly string[], b: readonly string[]): { count: number; sample: string[] } {
  const counts = new Map<string, number>();
  for (const h of a) counts.set(h, (counts.get(h) ?? 0) + 1);
  for (const h of b) counts.set(h, (counts.get(h) ?? 0) - 1);
  const differing = [...counts].filter(([, n]) => n !== 0);
  return { count: differing.reduce((s, [, n]) => s + Math.abs(n), 0), sample: differing.slice(0, 5).map(([h, n]) => `${h} (${n > 0 ? 'vigil only' : 'rsigma only'})`) };
}

/** The JSON summary line a run printed last on stderr (Vigil's `rules eval done`, the peer's summary). */
function summaryOf(run: ChildRun): Record<string, number> {
  const lines = run.stderr.trim().split('\n').filter((l) => l.startsWith('{'));
  return JSON.parse(lines[lines.length - 1] ?? '{}') as Record<string, number>;
}

/** Runs each command RUNS times, alternating between them so that load on the machine drifts evenly over both. */
async function interleaved(labels: readonly string[], logger: Logger, commands: readonly (() => Promise<ChildRun>)[]): Promise<ChildRun[][]> {
  const runs: ChildRun[][] = commands.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [k, command] of commands.entries()) {
      const run = await command();
      if (run.status !== 0) throw new Error(`${labels[k]} exited ${run.status}: ${run.stderr.slice(-2000)}`);
      runs[k]!.push(run);
    }
  }
  logger.debug({ labels, cpuMs: runs.map((r) => r.map((x) => Math.round(x.cpuMs))) }, 'runs');
  return runs;
}

export async function run(logger: Logger, options: BenchOptions): Promise<BenchFigure[]> {
  const count = options.quick ? 20_000 : 200_000;
  const figures: BenchFigure[] = [];
  const fig = (name: string, value: number | string, unit: string, load: string) => figures.push({ name: `matcher.${name}`, value: typeof value === 'number' ? Math.round(value * 100) / 100 : value, unit, load });
  const peer = buildRsigmaPeer(logger);
  if ('skipped' in peer) {
    logger.warn({ reason: peer.skipped }, 'rsigma peer skipped: no ratio figures');
    fig('rsigma_peer', `skipped: ${peer.skipped}`, '', 'the rsigma peer build');
  }
  const peerBinary = 'skipped' in peer ? undefined : peer.binary;
  if (!pinnedToOneCore) fig('pinning', 'taskset not found: runs not pinned to one core', '', 'every timed child process');
  const env = { LOG_LEVEL: 'info' };

  for (const s of await streams(count)) {
    const vigilOut = join(workDir, `${s.name}.vigil.ndjson`);
    const peerOut = join(workDir, `${s.name}.rsigma.ndjson`);
    const vigilRun = () => runChild(process.execPath, [vigil, 'rules', 'eval', '--rules', s.rules, '--events', s.file, '--source', s.source], { stdout: vigilOut, env });
    // The peer reads plain NDJSON: the gzip stream is Vigil's alone.
    const withPeer = !('skipped' in peer) && !s.name.endsWith('_gzip');
    const peerRun = () => runChild(peerBinary!, [s.rules], { stdin: s.file, stdout: peerOut });
    const [runs, peerRuns] = await interleaved([`vigil ${s.name}`, `rsigma ${s.name}`], logger, withPeer ? [vigilRun, peerRun] : [vigilRun]);
    const vigilRate = s.events / (median(runs!.map((r) => r.cpuMs)) / 1000);
    fig('events_per_sec_per_core', vigilRate, 'events/s', `${s.load}; whole \`rules eval\` process, CPU time, median of ${RUNS}`);
    fig('eval_peak_rss_mb', median(runs!.map((r) => Math.max(r.peakRssMb, summaryOf(r)['peakRssMb'] ?? 0))), 'MiB', s.load);
    const vigilHits = hitsOf(vigilOut);
    fig('eval_hits', vigilHits.length, 'hits', s.load);
    if (!peerRuns) continue;
    const peerRate = s.events / (median(peerRuns.map((r) => r.cpuMs)) / 1000);
    fig('rsigma_events_per_sec_per_core', peerRate, 'events/s', s.load);
    fig('eval_vs_rsigma_ratio', vigilRate / peerRate, '×', s.load);
    fig('rsigma_peak_rss_mb', median(peerRuns.map((r) => r.peakRssMb)), 'MiB', s.load);
    const diff = hitDifference(vigilHits, hitsOf(peerOut));
    fig('eval_hit_diff_vs_rsigma', diff.count, 'hits', s.load);
    if (diff.count > 0) logger.warn({ stream: s.name, differing: diff.count, sample: diff.sample }, 'Vigil and rsigma hits differ');
  }

  // Rule set load: every SigmaHQ corpus rule, no events (a cold process each time), parsed and from the rule cache.
  const empty = join(workDir, 'empty.ndjson');
  writeFileSync(empty, '');
  const all = `all SigmaHQ corpus rules (${sigmahq.slice(projectRoot.length + 1)})`;
  const cacheDir = join(workDir, 'rule-cache');
  const loadArgs = [vigil, 'rules', 'eval', '--rules', sigmahq, '--events', empty, '--source', 'cloudtrail'];
  await runChild(process.execPath, [...loadArgs, '--rule-cache', cacheDir], { env }); // fills the cache
  const [loads, cachedLoads, peerLoads] = await interleaved(['vigil rule load', 'vigil cached rule load', 'rsigma rule load'], logger, [
    () => runChild(process.execPath, loadArgs, { env }),
    () => runChild(process.execPath, [...loadArgs, '--rule-cache', cacheDir], { env }),
    ...(peerBinary ? [() => runChild(peerBinary, [sigmahq], { stdin: empty })] : []),
  ]);
  fig('rule_load_ms', median(loads!.map((r) => summaryOf(r)['ruleLoadCpuMs'] ?? NaN)), 'ms CPU', all);
  fig('rule_load_cached_ms', median(cachedLoads!.map((r) => summaryOf(r)['ruleLoadCpuMs'] ?? NaN)), 'ms CPU', `${all}, --rule-cache hit`);
  fig('rule_load_process_cpu_ms', median(loads!.map((r) => r.cpuMs)), 'ms', `${all}: whole process, start to exit`);
  if (peerLoads) {
    fig('rsigma_rule_load_ms', median(peerLoads.map((r) => summaryOf(r)['load_ms'] ?? NaN)), 'ms', all);
    fig('rsigma_rule_load_process_cpu_ms', median(peerLoads.map((r) => r.cpuMs)), 'ms', `${all}: whole process, start to exit`);
  }
  const [help] = await interleaved(['vigil --help'], logger, [() => runChild(process.execPath, [vigil, '--help'])]);
  fig('cli_help_cpu_ms', median(help!.map((r) => r.cpuMs)), 'ms', '`vigil --help`, whole process');
  return figures;
}
