/**
 * Correlation into Temporal, on the dev server `vigil dev` runs (SQLite file, WAL) or, with `vigil bench
 * --cluster`, also on the production-like cluster of ops/temporal/cluster.sh: 1,000 host
 * correlators on one tenant task queue, an in-process worker, the real router.
 *
 *   correlation.events_per_sec         detections/s from router.route() until every correlator has counted them
 *                                      (adaptive cross-message batching as ingest does it, 32 messages of 500 in flight)
 *   correlation.per_event_events_per_sec  the same with one signal per detection (the naive design)
 *   correlation.batched_vs_per_event_ratio  the two above
 *   temporal.raw_signals_per_sec       signals/s of the per-event phase (one signal per detection, until counted)
 *   latency.event_to_alert_*           event-to-alert through MQTT (in-process broker) → ingest → Temporal → alert
 *                                      raised, running correlators, steady 200 and 1,000 events/s over 100 hosts;
 *                                      1,000 alerts per rate (host × 10 rules); one figure per rate (its load)
 *   latency.new_entity_first_alert_*   after the latency runs: hosts whose first event alerts, among running
 *                                      correlators (the new correlator's first workflow task is on the alert's path)
 *   memory.bytes_per_cached_correlator worker heap per cached idle correlator (needs --expose-gc, as `npm run bench` runs it)
 *   workflow.task_ms_*                 the batched phase's workflow tasks, read from the correlators' histories: started → completed
 *   workflow.cpu_ms_per_task, correlator.cpu_us_per_detection  CPU in the batched phase: this process (worker,
 *                                      router, client) and the dev server (correlator.server_cpu_us_per_detection,
 *                                      only when started here)
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import mqtt from 'mqtt';
import type { Logger } from 'pino';
import { benchFigure, type BenchFigure, type BenchOptions } from './support/bench-figure';
import { createActivities } from '../../activities';
import { createCorrelationActivities } from '../../activities/correlation-rules';
import { startRuleRuntime } from '../app/rule-runtime';
import { BatchPublisher } from '../collect/batch-publisher';
import { EntityRouter } from '../ingest/entity-router';
import { startIngest } from '../ingest/ingest-service';
import { RawArchive } from '../ingest/raw-archive';
import type { Detection, RuleRef } from '../model/detection';
import { brokerIdentities, collectorUsername, INGEST_USERNAME } from '../mqtt/broker-policy';
import { generateCredentials, loginAs } from '../mqtt/broker-credentials';
import { startEmbeddedBroker } from '../mqtt/embedded-broker';
import { cpSync } from 'node:fs';
import { projectRoot } from '../project-root';
import { loadConfig, workerTuningOf } from '../config';
import { loadResponseConfig } from '../response/response-config';
import { connectClient } from '../temporal/client';
import { startDevServer } from '../temporal/dev-server';
import { createWorkerSet } from '../temporal/worker';
import { correlatorWorkflowId } from '../temporal/workflow-ids';
import { entityStateQuery } from '../contracts/correlator/messages';
import { runningChildrenCpuMs } from './support/child-cpu';
import { workflowTaskStats } from './support/workflow-tasks';

const TENANT = 'bench';
/** How much each phase does; `--quick` runs a fifth of it (one latency rate), for repeated runs on a busy machine. */
interface Workload {
  hosts: number;
  batchedDetections: number;
  singleDetections: number;
  /** Event rates of the latency runs, events/s; each run lasts `latencySeconds`. */
  latencyRates: number[];
  latencySeconds: number;
  /** The latency phase's entities: each (host, rule) pair alerts once (suppression). */
  latencyHosts: number;
  /** New entities whose first event alerts, among the latency phase's running correlators. */
  newHosts: number;
}
const FULL: Workload = { hosts: 1000, batchedDetections: 40_000, singleDetections: 4_000, latencyRates: [200, 1000], latencySeconds: 10, latencyHosts: 100, newHosts: 200 };
const QUICK: Workload = { hosts: 200, batchedDetections: 8_000, singleDetections: 800, latencyRates: [200], latencySeconds: 5, latencyHosts: 20, newHosts: 50 };
/** Alerting rules of the latency phase. */
const ALERT_RULES = 10;
/** MQTT messages of 500 events in flight in ingest (VIGIL_INGEST_CONNECTIONS × instances). */
const ROUTES_IN_FLIGHT = 32;

const noiseRule: RuleRef = { id: 'bench-noise', name: 'bench_noise', title: 'Bench noise', level: 'low', tags: ['attack.execution'] };

function rulesDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-rules-'));
  cpSync(path.join(projectRoot, 'rules', 'entities'), path.join(dir, 'entities'), { recursive: true });
  mkdirSync(path.join(dir, 'sigma'));
  mkdirSync(path.join(dir, 'correlations'));
  mkdirSync(path.join(dir, 'responses'));
  writeFileSync(path.join(dir, 'responses', 'none.yml'), 'bindings: []\n');
  for (let k = 0; k < ALERT_RULES; k++) {
    writeFileSync(
      path.join(dir, 'sigma', `bench-alert-${k}.yml`),
      [
        `title: Bench alert ${k}`,
        `id: 5a0f1d4e-0000-4000-8000-0000000001${String(k).padStart(2, '0')}`,
        `name: bench_alert_${k}`,
        'tags: [attack.execution, attack.t1059]',
        'logsource: { product: linux, category: process_creation }',
        `detection: { selection: { Image|endswith: '/bench-alert-${k}' }, condition: selection }`,
        'level: high',
      ].join('\n'),
    );
  }
  // A live correlation in every host correlator, so the core's cost is in the figures (it never fires).
  writeFileSync(
    path.join(dir, 'correlations', 'bench.yml'),
    [
      'title: Bench many events on a host',
      'id: 5a0f1d4e-0000-4000-8000-000000000002',
      'correlation: { type: event_count, rules: [bench_noise], group-by: [Hostname], timespan: 1h, condition: { gte: 1000000 } }',
      'level: low',
      '---',
      'title: Bench noise',
      'id: 5a0f1d4e-0000-4000-8000-000000000003',
      'name: bench_noise',
      'logsource: { product: linux, category: process_creation }',
      "detection: { selection: { Image|endswith: '/bench-noise' }, condition: selection }",
      'level: low',
    ].join('\n'),
  );
  return dir;
}

function detection(host: number, seq: number, version: string): Detection {
  const hostname = `bench-host-${host}`;
  return {
    eventId: `d-${host}-${seq}`,
    tenant: TENANT,
    source: 'process',
    time: Date.now(),
    rules: [noiseRule],
    entities: [{ type: 'host', id: hostname }],
    fields: { Hostname: hostname, Image: '/usr/bin/bench-noise', CommandLine: 'bench-noise --seq ' + seq },
    summary: `${hostname} bench-noise`,
    rulesetVersion: version,
  };
}

/**
 * Waits until every host correlator has counted the detections routed to it. Loads spread detections
 * evenly, so one visibility count (EventCount search attribute) answers it without querying 1,000
 * workflows, which would load the server being measured.
 */
async function countsReached(client: Client, expected: Map<number, number>, timeoutMs: number): Promise<boolean> {
  const target = Math.min(...expected.values());
  if (Math.max(...expected.values()) !== target) throw new Error('bench loads must spread detections evenly over hosts');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { count } = await client.workflow.count(`WorkflowType = 'correlatorWorkflow' AND TenantId = '${TENANT}' AND EntityType = 'host' AND EventCount >= ${target}`);
    if (count >= expected.size) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Routes `n` detections round-robin over the hosts, `inFlight` route() calls of 500 at once (like as many MQTT messages in flight). */
async function routeLoad(router: EntityRouter, hosts: number, n: number, seqBase: number, version: string, expected: Map<number, number>, inFlight = ROUTES_IN_FLIGHT): Promise<void> {
  const chunks: Detection[][] = [];
  for (let i = 0; i < n; i += 500) {
    chunks.push(Array.from({ length: Math.min(500, n - i) }, (_, j) => {
      const k = i + j;
      const host = k % hosts;
      expected.set(host, (expected.get(host) ?? 0) + 1);
      return detection(host, seqBase + k, version);
    }));
  }
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < chunks.length) await router.route(TENANT, chunks[next++]!);
  }));
}

/** Publishes `total` events at `rate` events/s through the collector's publisher; `event(i)` names host and image. */
async function publishPaced(publisher: BatchPublisher, idPrefix: string, rate: number, total: number, event: (i: number) => { hostname: string; image: string }): Promise<void> {
  const start = Date.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const { hostname, image } = event(i);
    publisher.add({ id: `${idPrefix}-${i}`, time: Date.now(), data: { Hostname: hostname, Image: image, CommandLine: `${image} ${i}`, User: 'bench' } });
  }
  await publisher.flush();
}

/** Waits until each host's correlator holds `alertsPerHost` bench alerts; returns their event-to-alert latencies (ms), sorted. */
async function alertLatencies(client: Client, hostnames: readonly string[], alertsPerHost: number): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = Date.now() + 180_000;
  for (const hostname of hostnames) {
    if (Date.now() > deadline) break;
    const handle = client.workflow.getHandle(correlatorWorkflowId(TENANT, { type: 'host', id: hostname }));
    for (;;) {
      const state = await handle.query(entityStateQuery).catch(() => undefined);
      const alerts = state?.openAlerts.filter((a) => a.rule.id.startsWith('5a0f1d4e-0000-4000-8000-0000000001')) ?? [];
      if (alerts.length >= alertsPerHost) {
        for (const a of alerts) latencies.push(a.raisedAt - a.firstSeen);
        break;
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return latencies.sort((a, b) => a - b);
}

const latencyHostname = (rate: number, h: number): string => `lat${rate}-host-${h}`;

/**
 * One latency run at `rate` events/s over fresh hosts: a steady stream where one event in `alertEvery` is the first
 * occurrence of an alerting rule on its host, so each (host, rule) pair alerts exactly once.
 */
async function latencyRun(work: Workload, rate: number, publisher: BatchPublisher, client: Client): Promise<number[]> {
  const total = rate * work.latencySeconds;
  const alertEvery = Math.floor(total / (work.latencyHosts * ALERT_RULES));
  await publishPaced(publisher, `lat${rate}`, rate, total, (i) => {
    const pair = i % alertEvery === 0 ? i / alertEvery : -1;
    const alerting = pair >= 0 && pair < work.latencyHosts * ALERT_RULES;
    const image = alerting ? `/usr/bin/bench-alert-${Math.floor(pair / work.latencyHosts)}` : '/usr/bin/bench-noise';
    return { hostname: latencyHostname(rate, alerting ? pair % work.latencyHosts : i % work.latencyHosts), image };
  });
  return alertLatencies(client, Array.from({ length: work.latencyHosts }, (_, h) => latencyHostname(rate, h)), ALERT_RULES);
}

/**
 * New entities among running ones: noise at `rate` events/s to the running correlators of the latency run at
 * `runningRate`, and `work.newHosts` hosts whose first event alerts, spread over the run. Each new host's one alert
 * waits for its correlator's first workflow task: the figure issue 10 calls new-entity latency.
 */
async function newEntityRun(work: Workload, rate: number, runningRate: number, publisher: BatchPublisher, client: Client): Promise<number[]> {
  const total = rate * work.latencySeconds;
  const newEvery = Math.floor(total / work.newHosts);
  const newHostname = (n: number): string => `new${rate}-host-${n}`;
  await publishPaced(publisher, `new${rate}`, rate, total, (i) =>
    i % newEvery === 0 && i / newEvery < work.newHosts
      ? { hostname: newHostname(i / newEvery), image: '/usr/bin/bench-alert-0' }
      : { hostname: latencyHostname(runningRate, i % work.latencyHosts), image: '/usr/bin/bench-noise' },
  );
  return alertLatencies(client, Array.from({ length: work.newHosts }, (_, n) => newHostname(n)), 1);
}

const heap = (): number => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const processCpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** On `options.temporal` (an empty Temporal: `vigil bench --cluster`'s fresh cluster), or else on a dev server started here. */
export async function run(logger: Logger, options?: BenchOptions): Promise<BenchFigure[]> {
  const target = options?.temporal;
  const work = options?.quick ? QUICK : FULL;
  const quiet = logger.child({}, { level: 'warn' });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-'));
  const server = target ? undefined : await startDevServer({ logger: quiet, namespace: 'default', dbFile: path.join(dataDir, 'temporal.sqlite') });
  const address = target?.address ?? server!.address;
  const dir = rulesDir();
  const runtime = await startRuleRuntime({ VIGIL_RULES_DIR: dir }, quiet);
  const version = runtime.ruleSet().version;
  const client = await connectClient(address, 'default');
  const responses = loadResponseConfig(path.join(dir, 'responses')).config;
  // The deployment's worker settings (VIGIL_WORKER_*), so settings are compared by running the bench with them;
  // the cache holds every correlator of the workload.
  const tuning = workerTuningOf({ ...loadConfig(process.env), VIGIL_WORKER_MAX_CACHED_WORKFLOWS: 2000 });
  const workers = await createWorkerSet({
    address,
    namespace: 'default',
    tenants: [TENANT],
    activities: {
      ...createCorrelationActivities(runtime.routing, responses.bindings),
      ...createActivities({ logger: quiet, dryRun: true, responses }),
    },
    logger: quiet,
    ...tuning,
  });
  const running = workers.run();
  // Loads never name the Temporal they ran on, so `--cluster` pairs each figure of the two servers by name and load.
  const figures: BenchFigure[] = [benchFigure('correlator.temporal', target?.label ?? 'dev server, SQLite file (WAL)', '', 'the Temporal these figures ran on'),
    benchFigure('correlator.worker_settings', `${tuning.workflowTaskPollers} workflow-task pollers, ${tuning.maxConcurrentWorkflowTaskExecutions} task slots`, '', 'VIGIL_WORKER_WORKFLOW_TASK_POLLERS, VIGIL_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS')];
  const fig = (name: string, value: number, unit: string, load: string): number => {
    figures.push(benchFigure(name, value, unit, load));
    return value;
  };
  const expected = new Map<number, number>();
  try {
    // Warm-up: every correlator exists and is cached; the heap delta is the per-correlator cost.
    const heapBefore = heap();
    const router = new EntityRouter(client, quiet);
    await routeLoad(router, work.hosts, work.hosts, 0, version, expected);
    if (!(await countsReached(client, expected, 120_000))) throw new Error('warm-up did not complete');
    await new Promise((r) => setTimeout(r, 1000));
    const gc = (globalThis as { gc?: unknown }).gc ? 'after GC' : 'without GC (run with node --expose-gc): imprecise';
    fig('memory.bytes_per_cached_correlator', Math.round((heap() - heapBefore) / work.hosts), 'bytes', `${work.hosts} idle cached host correlators, worker heap ${gc}`);

    let t0 = Date.now();
    const signalsBefore = router.stats.signals;
    const cpuBefore = { own: processCpuMs(), server: runningChildrenCpuMs() };
    await routeLoad(router, work.hosts, work.batchedDetections, 1_000_000, version, expected);
    const acceptedMs = Date.now() - t0;
    if (!(await countsReached(client, expected, 300_000))) throw new Error('batched load did not complete');
    const batchedMs = Date.now() - t0;
    const cpu = { own: processCpuMs() - cpuBefore.own, server: runningChildrenCpuMs() - cpuBefore.server };
    const hostIds = Array.from({ length: work.hosts }, (_, h) => correlatorWorkflowId(TENANT, { type: 'host', id: `bench-host-${h}` }));
    const tasks = await workflowTaskStats(client, hostIds, t0, t0 + batchedMs);
    const batched = `${work.batchedDetections} detections routed with adaptive batching (${ROUTES_IN_FLIGHT} routes of 500 in flight) to ${work.hosts} running host correlators`;
    fig('workflow.task_ms_p50', percentile(tasks.durationsMs, 50), 'ms', `${batched}: workflow task started → completed`);
    fig('workflow.task_ms_p99', percentile(tasks.durationsMs, 99), 'ms', `${batched}: workflow task started → completed`);
    fig('workflow.tasks', tasks.tasks, 'tasks', batched);
    // This process holds the worker, the router and the client; the dev server is its child (none on a cluster).
    fig('workflow.cpu_ms_per_task', cpu.own / tasks.tasks, 'ms', `${batched}: CPU of the process holding worker, router and client`);
    fig('correlator.cpu_us_per_detection', Math.round((cpu.own * 1000) / work.batchedDetections), 'µs', `${batched}: CPU of the process holding worker, router and client`);
    if (server) fig('correlator.server_cpu_us_per_detection', Math.round((cpu.server * 1000) / work.batchedDetections), 'µs', `${batched}: CPU of the dev server`);
    const signals = router.stats.signals - signalsBefore;
    fig('correlator.batched_signals', signals, 'signals', batched);
    fig('correlator.batched_detections_per_signal', work.batchedDetections / signals, 'detections', batched);
    fig('correlator.batched_accepted_per_sec', Math.round(work.batchedDetections / (acceptedMs / 1000)), 'events/s', `${batched}: until Temporal accepted every signal`);
    const batchedRate = fig('correlation.events_per_sec', Math.round(work.batchedDetections / (batchedMs / 1000)), 'events/s', `${batched}: until every correlator counted them`);

    const single = new EntityRouter(client, quiet, { maxDelayMs: 0, maxDetectionsPerSignal: 1 });
    t0 = Date.now();
    await routeLoad(single, work.hosts, work.singleDetections, 2_000_000, version, expected, ROUTES_IN_FLIGHT);
    if (!(await countsReached(client, expected, 300_000))) throw new Error('single-signal load did not complete');
    const singleMs = Date.now() - t0;
    const perEvent = `${work.singleDetections} detections routed one signal each (${ROUTES_IN_FLIGHT} routes of 500 in flight) to ${work.hosts} running host correlators, until every correlator counted them`;
    const perEventRate = fig('correlation.per_event_events_per_sec', Math.round(work.singleDetections / (singleMs / 1000)), 'events/s', perEvent);
    fig('temporal.raw_signals_per_sec', Math.round(single.stats.signals / (singleMs / 1000)), 'signals/s', perEvent);
    fig('correlation.batched_vs_per_event_ratio', batchedRate / perEventRate, '×', `correlation.events_per_sec (${work.batchedDetections} detections) / correlation.per_event_events_per_sec (${work.singleDetections})`);

    // Latency through the whole pipeline at a steady rate: MQTT → ingest → router → correlator alert.
    const credentials = generateCredentials(brokerIdentities([TENANT]));
    const broker = await startEmbeddedBroker({ port: 0, credentials, logger: quiet });
    const ingestLogin = loginAs(credentials, INGEST_USERNAME);
    const archive = new RawArchive(path.join(dataDir, 'archive'));
    const ingest = await startIngest({
      mqttUrl: broker.url,
      mqttUsername: ingestLogin.username,
      mqttPassword: ingestLogin.password,
      clientId: 'bench-ingest',
      shareGroup: '',
      tenants: [TENANT],
      rules: runtime.ruleSet,
      builder: runtime.builder,
      router: new EntityRouter(client, quiet),
      archive,
      stateDir: path.join(dataDir, 'ingest'),
      logger: quiet,
    });
    const mqttClient = await mqtt.connectAsync(broker.url, { clientId: 'bench-collector', ...loginAs(credentials, collectorUsername(TENANT)) });
    const publisher = new BatchPublisher(mqttClient, { tenant: TENANT, source: 'process', collector: 'bench', maxBatchEvents: 100, maxBatchDelayMs: 10 }, quiet);
    const pipeline = 'MQTT (in-process broker) → ingest → Temporal → alert raised';
    for (const rate of work.latencyRates) {
      const latencies = await latencyRun(work, rate, publisher, client);
      const load = `${work.latencyHosts} running host correlators, ${rate} events/s for ${work.latencySeconds} s, ${pipeline}`;
      fig('latency.event_to_alert_samples', latencies.length, 'alerts', load);
      fig('latency.event_to_alert_p50_ms', percentile(latencies, 50), 'ms', load);
      fig('latency.event_to_alert_p99_ms', percentile(latencies, 99), 'ms', load);
    }
    const newRate = work.latencyRates[work.latencyRates.length - 1]!;
    const firsts = await newEntityRun(work, newRate, work.latencyRates[0]!, publisher, client);
    const newLoad = `${work.newHosts} new hosts whose first event alerts, among ${work.latencyHosts} running host correlators fed ${newRate} events/s, ${pipeline}`;
    fig('latency.new_entity_first_alert_samples', firsts.length, 'alerts', newLoad);
    fig('latency.new_entity_first_alert_p50_ms', percentile(firsts, 50), 'ms', newLoad);
    fig('latency.new_entity_first_alert_p99_ms', percentile(firsts, 99), 'ms', newLoad);
    publisher.close();
    await mqttClient.endAsync();
    await ingest.stop();
    await archive.close();
    await broker.close();
  } finally {
    await workers.shutdown();
    await running;
    runtime.close();
    await client.connection.close();
    await server?.stop();
  }
  return figures;
}
