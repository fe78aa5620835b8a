/**
 * `npm run bench archive`: the forensic archive's write path and the retro-hunt read path, on Stratus
 * CloudTrail events replayed to the workload size (each copy with its own event id).
 *   archive.append_events_per_sec        durable appends: events whose append resolved (ack-ready) per second of
 *                                        wall time, segments vs the former NDJSON day files (one fdatasync per message)
 *   archive.bytes_per_event              segments (one deflate stream, a sync flush per frame) vs NDJSON vs a gzip
 *                                        member per message (independently decompressible messages)
 *   archive.hunt_events_per_sec_per_core `vigil hunt` over the archive, CPU time pinned to one core, against
 *   archive.eval_events_per_sec_per_core `vigil rules eval` over the same events as an NDJSON file (ratio: hunt/eval;
 *                                        hunt_output_equals_eval: the two outputs are byte-identical)
 * Timed figures are medians of RUNS runs; loads name the message size and the appends in flight.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import type { BenchFigure, BenchOptions } from './support/bench-figure';
import { DayFiles } from '../ingest/day-files';
import { RawArchive } from '../ingest/raw-archive';
import type { RawEvent } from '../model/event';
import { compiledPath, projectRoot } from '../project-root';
import { median, pinnedToOneCore, runChild } from './support/child-run';
import { eventsIn } from './support/corpus-events';

const RUNS = 3;
const EVENTS_PER_MESSAGE = 50;
const workDir = join(projectRoot, '.cache', 'bench', 'archive');
const rules = join(projectRoot, 'test', 'corpus', 'sigmahq', 'rules', 'cloud', 'aws', 'cloudtrail');
const vigil = compiledPath('src/cli/main');
const tenant = 'bench';

/** `count` events as messages of EVENTS_PER_MESSAGE, each event with its own id and its record's time. */
function messagesOf(records: readonly Record<string, unknown>[], count: number): RawEvent[][] {
  const messages: RawEvent[][] = [];
  for (let i = 0; i < count; i += EVENTS_PER_MESSAGE) {
    const message: RawEvent[] = [];
    for (let j = i; j < Math.min(count, i + EVENTS_PER_MESSAGE); j++) {
      const data = records[j % records.length]!;
      message.push({ id: `${String(data['eventID'])}-${j}`, time: Date.parse(String(data['eventTime'])) || 0, data });
    }
    messages.push(message);
  }
  return messages;
}

/** Appends every message with `inFlight` appends outstanding at a time (ingest's consuming connections); events/s. */
async function appendAll(messages: readonly RawEvent[][], inFlight: number, append: (m: RawEvent[]) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < messages.length) await append(messages[next++]!);
    }),
  );
  const events = messages.reduce((n, m) => n + m.length, 0);
  return events / ((performance.now() - started) / 1000);
}

/** The former archive's line format, written as it was: one write and one fdatasync per message. */
function legacyAppend(files: DayFiles): (m: RawEvent[]) => Promise<void> {
  return (m) => files.append([tenant, 'cloudtrail'], Date.now(), m.map((e) => JSON.stringify({ id: e.id, time: e.time, tenant, source: 'cloudtrail', collector: 'bench', data: e.data }) + '\n').join(''));
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  return total;
}

export async function run(logger: Logger, options: BenchOptions): Promise<BenchFigure[]> {
  const count = options.quick ? 10_000 : 100_000;
  const figures: BenchFigure[] = [];
  const fig = (name: string, value: number, unit: string, load: string) => figures.push({ name: `archive.${name}`, value: Math.round(value * 100) / 100, unit, load });
  const records = (await eventsIn(join(projectRoot, 'test', 'corpus', 'stratus-red-team', 'docs', 'detonation-logs'))) as Record<string, unknown>[];
  const messages = messagesOf(records, count);
  const what = `${count} Stratus CloudTrail events, ${EVENTS_PER_MESSAGE} per message`;

  for (const inFlight of [1, 4]) {
    const load = `${what}, ${inFlight} append${inFlight > 1 ? 's' : ''} in flight`;
    const rates: Record<'segments' | 'ndjson', number[]> = { segments: [], ndjson: [] };
    for (let r = 0; r < RUNS; r++) {
      rmSync(workDir, { recursive: true, force: true });
      const archive = new RawArchive(join(workDir, 'segments'));
      rates.segments.push(await appendAll(messages, inFlight, (m) => archive.append(tenant, 'cloudtrail', 'bench', m, Date.now())));
      await archive.close();
      const days = new DayFiles(join(workDir, 'ndjson'));
      rates.ndjson.push(await appendAll(messages, inFlight, legacyAppend(days)));
      await days.close();
    }
    fig('append_events_per_sec', median(rates.segments), 'events/s', `${load}, segments`);
    fig('append_events_per_sec', median(rates.ndjson), 'events/s', `${load}, former NDJSON day files`);
  }

  // Sizes from the last run (one append in flight would compress the same: frames differ, the stream does not).
  const segmentBytes = bytesUnder(join(workDir, 'segments'));
  fig('bytes_per_event', segmentBytes / count, 'bytes', `${what}, segments (index included)`);
  fig('bytes_per_event', bytesUnder(join(workDir, 'ndjson')) / count, 'bytes', `${what}, former NDJSON day files`);
  const gzipMembers = messages.reduce((n, m) => n + gzipSync(m.map((e) => JSON.stringify({ id: e.id, time: e.time, tenant, source: 'cloudtrail', collector: 'bench', data: e.data }) + '\n').join('')).length, 0);
  fig('bytes_per_event', gzipMembers / count, 'bytes', `${what}, a gzip member per message (computed, not a stored format)`);

  // Hunt vs eval over the same events: the archive just written, and the same records as an NDJSON file.
  const eventsFile = join(workDir, 'events.ndjson');
  writeFileSync(eventsFile, messages.flat().map((e) => JSON.stringify(e.data)).join('\n') + '\n');
  mkdirSync(workDir, { recursive: true });
  const env = { LOG_LEVEL: 'info' };
  const huntOut = join(workDir, 'hunt.ndjson');
  const evalOut = join(workDir, 'eval.ndjson');
  const cpu: Record<'hunt' | 'eval', number[]> = { hunt: [], eval: [] };
  let huntRss = 0;
  for (let r = 0; r < RUNS; r++) {
    const hunted = await runChild(process.execPath, [vigil, 'hunt', '--rules', rules, '--tenant', tenant, '--from', '2000-01-01', '--to', '2100-01-01', '--json', '--archive', join(workDir, 'segments')], { stdout: huntOut, env });
    const evaluated = await runChild(process.execPath, [vigil, 'rules', 'eval', '--rules', rules, '--events', eventsFile, '--source', 'cloudtrail'], { stdout: evalOut, env });
    for (const [name, run] of [['hunt', hunted], ['eval', evaluated]] as const) {
      if (run.status !== 0) throw new Error(`${name} exited ${run.status}: ${run.stderr.slice(-2000)}`);
      cpu[name].push(run.cpuMs);
    }
    huntRss = Math.max(huntRss, hunted.peakRssMb);
  }
  const core = pinnedToOneCore ? 'one pinned core' : 'not pinned (no taskset)';
  const huntRate = count / (median(cpu.hunt) / 1000);
  const evalRate = count / (median(cpu.eval) / 1000);
  const load = `${what}, SigmaHQ rules/cloud/aws/cloudtrail, ${core}`;
  fig('hunt_events_per_sec_per_core', huntRate, 'events/s', load);
  fig('eval_events_per_sec_per_core', evalRate, 'events/s', load);
  fig('hunt_vs_eval_ratio', huntRate / evalRate, '×', load);
  fig('hunt_peak_rss_mb', huntRss, 'MiB', load);
  figures.push({ name: 'archive.hunt_output_equals_eval', value: readFileSync(huntOut, 'utf8') === readFileSync(evalOut, 'utf8') ? 'yes' : 'no', unit: '', load });
  logger.info({ huntCpuMs: cpu.hunt.map(Math.round), evalCpuMs: cpu.eval.map(Math.round) }, 'archive bench runs');
  return figures;
}
