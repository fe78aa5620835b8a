/**
 * What Prometheus metrics cost ingest: good events per second through ingest (MQTT in → decoded, validated,
 * archived with fsync, acknowledged) with metrics off and on, alternating off/on rounds in one run on the in-process
 * broker, medians of the rounds side by side. "On" is what VIGIL_METRICS_LISTEN turns on: the per-tenant counters
 * and histograms, the mirrored stats, Node's own metrics, and a scrape of the HTTP endpoint every second.
 *
 *   ingest.metrics_off_events_per_sec   median over the rounds without metrics
 *   ingest.metrics_on_events_per_sec    median over the rounds with metrics
 *   ingest.metrics_on_vs_off_ratio      on / off
 *   ingest.metrics_{off,on}_cpu_us_per_event  process CPU (broker, publisher and ingest share it) per event, median:
 *                                       less disturbed than events/s by other work on a loaded machine
 *
 * The events match no rule (as in `soak`), so the router and Temporal are not in the path: the router's metrics
 * (one call per signal, a loop over numbers per detection) are not measured here.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import mqtt from 'mqtt';
import type { Logger } from 'pino';
import type { BenchFigure, BenchOptions } from './support/bench-figure';
import { startMetricsEndpoint } from '../app/metrics-endpoint';
import { startRuleRuntime } from '../app/rule-runtime';
import { EntityRouter } from '../ingest/entity-router';
import { startIngest } from '../ingest/ingest-service';
import { RawArchive } from '../ingest/raw-archive';
import { IngestMetrics } from '../metrics';
import { brokerIdentities, collectorUsername, INGEST_USERNAME } from '../mqtt/broker-policy';
import { generateCredentials, loginAs } from '../mqtt/broker-credentials';
import { startEmbeddedBroker } from '../mqtt/embedded-broker';
import { goodStream, rulesDir, TENANT } from './soak';

const EVENTS_PER_ROUND = { full: 50_000, quick: 5_000 };
const ROUNDS = { full: 5, quick: 1 };

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export async function run(logger: Logger, options: BenchOptions): Promise<BenchFigure[]> {
  const events = options.quick ? EVENTS_PER_ROUND.quick : EVENTS_PER_ROUND.full;
  const rounds = options.quick ? ROUNDS.quick : ROUNDS.full;
  const quiet = logger.child({}, { level: 'error' });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-metrics-bench-'));
  const credentials = generateCredentials(brokerIdentities([TENANT]));
  const broker = await startEmbeddedBroker({ port: 0, credentials, logger: quiet });
  const runtime = await startRuleRuntime({ VIGIL_RULES_DIR: rulesDir() }, quiet);
  const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const archive = new RawArchive(path.join(dataDir, 'archive'));
  const collector = await mqtt.connectAsync(broker.url, { ...loginAs(credentials, collectorUsername(TENANT)), clientId: 'metrics-bench-collector' });

  /** One ingest, with or without metrics, for one round of `count` events; returns events/s and CPU µs per event. */
  const round = async (withMetrics: boolean, count: number, label: string): Promise<{ rate: number; cpuUs: number }> => {
    const endpoint = withMetrics ? await startMetricsEndpoint({ VIGIL_METRICS_LISTEN: { host: '127.0.0.1', port: 0 } }, 'bench', quiet) : undefined;
    const metrics = endpoint ? new IngestMetrics(endpoint.registry, [TENANT]) : undefined;
    const ingest = await startIngest({
      mqttUrl: broker.url,
      mqttUsername: loginAs(credentials, INGEST_USERNAME).username,
      mqttPassword: loginAs(credentials, INGEST_USERNAME).password,
      // One session for every round: a new client id would leave the old persistent session queueing every message.
      clientId: 'metrics-bench-ingest',
      shareGroup: '',
      tenants: [TENANT],
      rules: runtime.ruleSet,
      builder: runtime.builder,
      router: new EntityRouter(unreachable, quiet, metrics ? { metrics } : {}),
      archive,
      stateDir: path.join(dataDir, 'ingest'),
      logger: quiet,
      ...(metrics ? { metrics } : {}),
    });
    // What Prometheus would do: read the endpoint every second while the stream runs.
    const scraper = endpoint ? setInterval(() => void fetch(endpoint.url).then((r) => r.text()), 1000) : undefined;
    const cpu = process.cpuUsage();
    try {
      const rate = await goodStream(collector, ingest, count, label, quiet);
      const used = process.cpuUsage(cpu);
      return { rate, cpuUs: (used.user + used.system) / count };
    } finally {
      clearInterval(scraper);
      await ingest.stop();
      await endpoint?.close();
    }
  };

  const off: Array<{ rate: number; cpuUs: number }> = [];
  const on: Array<{ rate: number; cpuUs: number }> = [];
  try {
    await round(false, Math.min(10_000, events), 'warm');
    for (let i = 0; i < rounds; i++) {
      off.push(await round(false, events, `off-${i}`));
      on.push(await round(true, events, `on-${i}`));
    }
  } finally {
    await collector.endAsync();
    await archive.close();
    runtime.close();
    await unreachable.connection.close().catch(() => undefined);
    await broker.close();
  }
  const load = `${events} benign k8s audit events per round in batches of 500, ${rounds} alternating off/on rounds (medians), in-process broker, one ingest connection; on: registry, Node metrics, scrape every 1 s`;
  const rates = (rs: typeof off): number[] => rs.map((r) => Math.round(r.rate));
  const cpus = (rs: typeof off): number[] => rs.map((r) => Math.round(r.cpuUs * 10) / 10);
  const [offMedian, onMedian] = [median(rates(off)), median(rates(on))];
  return [
    { name: 'ingest.metrics_off_events_per_sec', value: Math.round(offMedian), unit: 'events/s', load: `${load}; rounds ${rates(off).join(', ')}` },
    { name: 'ingest.metrics_on_events_per_sec', value: Math.round(onMedian), unit: 'events/s', load: `${load}; rounds ${rates(on).join(', ')}` },
    { name: 'ingest.metrics_on_vs_off_ratio', value: Math.round((onMedian / offMedian) * 1000) / 1000, unit: 'ratio', load },
    { name: 'ingest.metrics_off_cpu_us_per_event', value: median(cpus(off)), unit: 'µs', load: `${load}; rounds ${cpus(off).join(', ')}` },
    { name: 'ingest.metrics_on_cpu_us_per_event', value: median(cpus(on)), unit: 'µs', load: `${load}; rounds ${cpus(on).join(', ')}` },
  ];
}
