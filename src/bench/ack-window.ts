/**
 * Ingest's ack window (src/ingest/ordered-acks.ts) on a real Mosquitto with its default configuration, the dev server
 * and `vigil worker` in its own process; `vigil loadgen`'s publisher sends the demo's process events over 100 hosts.
 * Before (a window of 20 messages: what the former 32 was on Mosquitto, whose `max_inflight_messages` is 20) and after
 * (VIGIL_INGEST_WINDOW's default) run alternately, on 1 and 4 connections, at 200 and 1,000 events/s; each figure is
 * the median of the runs.
 *
 *   ingest.ack_wait_p50_ms / _p99_ms          a message's hand-off done → its PUBACK (head-of-line wait)
 *   ingest.event_to_accepted_p50_ms / _p99_ms the batch's sentAt → Temporal accepted the signal (per detection and correlator)
 *   ingest.read_paused_s                      time reading stopped on a full window over the run (drain included)
 *   ingest.ack_window_peak_messages           most messages unacknowledged at once (sampled every 50 ms)
 * Needs `mosquitto` (MOSQUITTO_BIN, /usr/sbin/mosquitto or /usr/bin/mosquitto).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import mqtt from 'mqtt';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { startRuleRuntime, type RuleRuntime } from '../app/rule-runtime';
import { generateLoad } from '../collect/load-generator';
import { loadScenario } from '../collect/scenario-replay';
import { EntityRouter } from '../ingest/entity-router';
import { startIngest } from '../ingest/ingest-service';
import { DEFAULT_ACK_WINDOW } from '../ingest/ordered-acks';
import { RawArchive } from '../ingest/raw-archive';
import { IngestMetrics, type StageTimes } from '../metrics/ingest-metrics';
import { compiledPath, projectRoot } from '../project-root';
import { connectClient } from '../temporal/client';
import { startDevServer } from '../temporal/dev-server';
import { benchFigure, type BenchFigure, type BenchOptions } from './support/bench-figure';

const TENANT = 'bench';
const HOSTS = 100;

/** Keeps the raw observations the Prometheus histograms bucket, for exact percentiles. */
class RecordingMetrics extends IngestMetrics {
  readonly ackWaitsMs: number[] = [];
  readonly acceptedMs: number[] = [];
  pausedMs = 0;

  override acknowledged(waitMs: number): void {
    super.acknowledged(waitMs);
    this.ackWaitsMs.push(waitMs);
  }

  override readResumed(pausedMs: number): void {
    super.readResumed(pausedMs);
    this.pausedMs += pausedMs;
  }

  override signalSettled(tenant: string, times: readonly (StageTimes | undefined)[], signalSentAt: number, accepted: boolean, now: number): void {
    super.signalSettled(tenant, times, signalSentAt, accepted, now);
    if (accepted) for (const t of times) if (t?.sentAt !== undefined) this.acceptedMs.push(now - t.sentAt);
  }
}

function mosquittoBinary(): string | undefined {
  return [process.env.MOSQUITTO_BIN, '/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((c) => c !== undefined && spawnSync(c, ['-h']).error === undefined);
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

/** Mosquitto with its defaults (max_inflight_messages 20) but anonymous access, on a free loopback port. */
async function startBroker(bin: string, dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const conf = path.join(dir, `mosquitto-${port}.conf`);
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 1000000\n`);
  const child: ChildProcess = spawn(bin, ['-c', conf], { stdio: 'ignore' });
  const url = `mqtt://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    const probe = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 1000 }).catch(() => undefined);
    if (probe) {
      await probe.endAsync();
      break;
    }
    if (tries > 100) throw new Error(`mosquitto did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, stop: () => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM')))) };
}

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

interface Variant {
  label: string;
  window: number;
  connections: number;
}

interface RunResult {
  ackWaitP50: number;
  ackWaitP99: number;
  acceptedP50: number;
  acceptedP99: number;
  pausedS: number;
  peak: number;
}

interface Bed {
  dir: string;
  bin: string;
  client: Client;
  runtime: RuleRuntime;
  templates: Record<string, unknown>[];
  logger: Logger;
}

/** One run: a fresh broker and ingest, `seconds` of load at `rate`, until every message is acknowledged. */
async function measure(bed: Bed, variant: Variant, rate: number, seconds: number, runId: string): Promise<RunResult> {
  const broker = await startBroker(bed.bin, bed.dir);
  const metrics = new RecordingMetrics(new Registry(), [TENANT]);
  const archive = new RawArchive(path.join(bed.dir, 'archive'));
  const ingest = await startIngest({
    mqttUrl: broker.url,
    clientId: `bench-ingest-${runId}`,
    shareGroup: 'bench',
    connections: variant.connections,
    maxInFlightPerConnection: variant.window,
    tenants: [TENANT],
    rules: bed.runtime.ruleSet,
    builder: bed.runtime.builder,
    router: new EntityRouter(bed.client, bed.logger, { metrics }),
    archive,
    stateDir: path.join(bed.dir, `ingest-${runId}`),
    logger: bed.logger,
    metrics,
  });
  const publisher = await mqtt.connectAsync(broker.url, { clientId: `bench-loadgen-${runId}`, protocolVersion: 5 });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, ingest.stats.unacknowledged)), 50);
  try {
    await generateLoad({ rate, entities: HOSTS, durationS: seconds, runId, templates: bed.templates }, new Map([[TENANT, publisher]]), bed.logger);
    const deadline = Date.now() + 300_000;
    while (ingest.stats.acknowledged < ingest.stats.messages || ingest.stats.unacknowledged > 0) {
      if (Date.now() > deadline) throw new Error(`ingest did not acknowledge every message: ${JSON.stringify(ingest.stats)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    clearInterval(sampler);
    await publisher.endAsync();
    await ingest.stop();
    await archive.close();
    await broker.stop();
  }
  return {
    ackWaitP50: percentile(metrics.ackWaitsMs, 50),
    ackWaitP99: percentile(metrics.ackWaitsMs, 99),
    acceptedP50: percentile(metrics.acceptedMs, 50),
    acceptedP99: percentile(metrics.acceptedMs, 99),
    pausedS: metrics.pausedMs / 1000,
    peak,
  };
}

export async function run(logger: Logger, options?: BenchOptions): Promise<BenchFigure[]> {
  const bin = mosquittoBinary();
  if (!bin) return [benchFigure('ingest.ack_window_note', 'mosquitto not found: install it or set MOSQUITTO_BIN', '', 'ack-window bench skipped')];
  const quick = options?.quick === true;
  const rates = quick ? [200] : [200, 1000];
  const runs = quick ? 1 : 3;
  const seconds = quick ? 3 : 10;
  const quiet = logger.child({}, { level: 'warn' });
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-ackw-'));
  const server = await startDevServer({ logger: quiet, namespace: 'default', dbFile: path.join(dir, 'temporal.sqlite') });
  const rulesDir = path.join(projectRoot, 'rules');
  const worker = spawn(process.execPath, [compiledPath('src/cli/main'), 'worker'], {
    env: { ...process.env, TEMPORAL_ADDRESS: server.address, VIGIL_TENANTS: TENANT, VIGIL_DATA_DIR: path.join(dir, 'worker'), VIGIL_RULES_DIR: rulesDir, LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const client = await connectClient(server.address, 'default');
  const runtime = await startRuleRuntime({ VIGIL_RULES_DIR: rulesDir }, quiet);
  const templates = loadScenario(path.join(rulesDir, 'scenarios', 'linux-host-compromise.ndjson'))
    .filter((l) => l.source === 'process' && runtime.ruleSet().match(l.data, 'process').length > 0)
    .map((l) => l.data);
  const bed: Bed = { dir, bin, client, runtime, templates, logger: quiet };
  const variants: Variant[] = [1, 4].flatMap((connections) => [
    { label: 'before', window: 20, connections },
    { label: 'after', window: DEFAULT_ACK_WINDOW, connections },
  ]);
  const results = new Map<string, RunResult[]>();
  const key = (v: Variant, rate: number): string => `${v.label}/${v.connections}/${rate}`;
  try {
    // Warm-up: every host's correlator exists, so the runs measure running correlators.
    await measure(bed, variants[1]!, 200, 3, 'warm');
    for (let r = 0; r < runs; r++) {
      for (const rate of rates) {
        for (const v of variants) {
          const list = results.get(key(v, rate)) ?? [];
          list.push(await measure(bed, v, rate, seconds, `${r}-${rate}-${v.label}-${v.connections}`));
          results.set(key(v, rate), list);
        }
      }
    }
  } finally {
    runtime.close();
    await client.connection.close();
    worker.kill('SIGTERM');
    await new Promise<void>((resolve) => (worker.exitCode !== null ? resolve() : worker.once('exit', () => resolve())));
    await server.stop();
  }
  const figures: BenchFigure[] = [];
  for (const rate of rates) {
    for (const v of variants) {
      const list = results.get(key(v, rate))!;
      const median = (pick: (r: RunResult) => number): number => percentile(list.map(pick), 50);
      const load = `${v.label}: window ${v.window} × ${v.connections} connection(s), Mosquitto defaults, ${rate} events/s over ${HOSTS} hosts for ${seconds} s, worker in its own process; median of ${list.length}`;
      figures.push(
        benchFigure('ingest.ack_wait_p50_ms', median((x) => x.ackWaitP50), 'ms', load),
        benchFigure('ingest.ack_wait_p99_ms', median((x) => x.ackWaitP99), 'ms', load),
        benchFigure('ingest.event_to_accepted_p50_ms', median((x) => x.acceptedP50), 'ms', load),
        benchFigure('ingest.event_to_accepted_p99_ms', median((x) => x.acceptedP99), 'ms', load),
        benchFigure('ingest.read_paused_s', median((x) => x.pausedS), 's', load),
        benchFigure('ingest.ack_window_peak_messages', median((x) => x.peak), 'messages', load),
      );
    }
  }
  return figures;
}
