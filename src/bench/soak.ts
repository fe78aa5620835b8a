/**
 * Ingest under hostile input: good events per second through ingest (MQTT in → decoded, validated,
 * matched, archived with fsync, acknowledged) with and without a concurrent stream of fuzzed payloads
 * (src/bench/support/fuzz-payloads.ts), side by side in one run on the in-process broker `vigil dev` uses.
 *
 *   ingest.clean_events_per_sec   good events alone
 *   ingest.events_per_sec_per_core  the same per CPU second of this process, which also runs the broker and the
 *                                 publisher: a lower bound for ingest alone (MQTT in → archived and acknowledged)
 *   ingest.soak_events_per_sec    the same good events while the fuzz stream runs
 *   ingest.soak_fuzz_per_sec      fuzzed payloads ingest handled (dead-lettered, or archived) per second meanwhile
 *   ingest.soak_vs_clean_ratio    soak / clean
 *
 * The good events match no rule, so Temporal is not in the path: this measures ingest itself.
 */
import { mkdtempSync, mkdirSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { BenchFigure, BenchOptions } from './support/bench-figure';
import { startRuleRuntime } from '../app/rule-runtime';
import { BatchPublisher } from '../collect/batch-publisher';
import { EntityRouter } from '../ingest/entity-router';
import { startIngest, type IngestService } from '../ingest/ingest-service';
import { RawArchive } from '../ingest/raw-archive';
import type { RawEvent } from '../model/event';
import { brokerIdentities, collectorUsername, INGEST_USERNAME } from '../mqtt/broker-policy';
import { generateCredentials, loginAs } from '../mqtt/broker-credentials';
import { startEmbeddedBroker } from '../mqtt/embedded-broker';
import { eventsTopic } from '../mqtt/topics';
import { encodeBatch } from '../mqtt/wire-codec';
import { projectRoot } from '../project-root';
import { mutatePayload, seededRandom } from './support/fuzz-payloads';

export const TENANT = 'soak';
const GOOD_EVENTS = { full: 100_000, quick: 10_000 };
/** Fuzzed payloads in flight at once (each awaits its PUBACK), so the fuzz stream runs as fast as ingest takes it. */
const FUZZ_IN_FLIGHT = 64;

export function benignEvent(id: string): RawEvent {
  return { id, time: Date.now(), data: { kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: id, verb: 'get', user: { username: 'soak' }, objectRef: { resource: 'configmaps', namespace: 'soak', name: 'cm' } } };
}

/** Entity mappings and no rule at all: events are archived, never routed. */
export function rulesDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-soak-rules-'));
  cpSync(path.join(projectRoot, 'rules', 'entities'), path.join(dir, 'entities'), { recursive: true });
  for (const sub of ['sigma', 'correlations', 'responses']) mkdirSync(path.join(dir, sub));
  writeFileSync(path.join(dir, 'responses', 'none.yml'), 'bindings: []\n');
  return dir;
}

async function untilArchived(ingest: IngestService, target: number): Promise<void> {
  while (ingest.stats.events < target) await new Promise((r) => setTimeout(r, 20));
}

/** Publishes `count` good events through a collector's BatchPublisher and returns events/s until ingest archived them all. */
export async function goodStream(client: MqttClient, ingest: IngestService, count: number, prefix: string, logger: Logger): Promise<number> {
  const publisher = new BatchPublisher(client, { tenant: TENANT, source: 'k8s_audit', collector: 'soak', maxBatchEvents: 500, maxInFlight: 16 }, logger);
  const base = ingest.stats.events;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    publisher.add(benignEvent(`${prefix}-${i}`));
    if (i % 5_000 === 4_999) await new Promise((r) => setImmediate(r));
  }
  await publisher.flush();
  await untilArchived(ingest, base + count);
  publisher.close();
  return count / (Number(process.hrtime.bigint() - t0) / 1e9);
}

export async function run(logger: Logger, options: BenchOptions): Promise<BenchFigure[]> {
  const goodEvents = options.quick ? GOOD_EVENTS.quick : GOOD_EVENTS.full;
  const quiet = logger.child({}, { level: 'error' });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-soak-'));
  const credentials = generateCredentials(brokerIdentities([TENANT]));
  const broker = await startEmbeddedBroker({ port: 0, credentials, logger: quiet });
  const runtime = await startRuleRuntime({ VIGIL_RULES_DIR: rulesDir() }, quiet);
  // No event matches a rule, so the router is never called: Temporal is not part of this figure.
  const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const archive = new RawArchive(path.join(dataDir, 'archive'));
  const ingestLogin = loginAs(credentials, INGEST_USERNAME);
  const ingest = await startIngest({
    mqttUrl: broker.url,
    mqttUsername: ingestLogin.username,
    mqttPassword: ingestLogin.password,
    clientId: 'soak-ingest',
    shareGroup: '',
    tenants: [TENANT],
    rules: runtime.ruleSet,
    builder: runtime.builder,
    router: new EntityRouter(unreachable, quiet),
    archive,
    stateDir: path.join(dataDir, 'ingest'),
    logger: quiet,
  });
  const collector = await mqtt.connectAsync(broker.url, { ...loginAs(credentials, collectorUsername(TENANT)), clientId: 'soak-collector' });
  const fuzzer = await mqtt.connectAsync(broker.url, { ...loginAs(credentials, collectorUsername(TENANT)), clientId: 'soak-fuzzer' });
  const figures: BenchFigure[] = [];
  const load = `${goodEvents} benign k8s audit events in batches of 500, in-process broker, one ingest connection`;
  try {
    await goodStream(collector, ingest, Math.min(10_000, goodEvents), 'warm', quiet);
    const cpu = process.cpuUsage();
    const clean = await goodStream(collector, ingest, goodEvents, 'clean', quiet);
    const cpuSeconds = ((used) => (used.user + used.system) / 1e6)(process.cpuUsage(cpu));

    const rand = seededRandom(20261201);
    const bases = [1, 3, 8].map((n) => encodeBatch({ v: 1, collector: 'soak-fuzz', events: Array.from({ length: n }, (_, i) => benignEvent(`fz-${n}-${i}`)) }));
    let fuzzing = true;
    let fuzzSent = 0;
    const topic = eventsTopic(TENANT, 'k8s_audit');
    const fuzz = Promise.all(
      Array.from({ length: FUZZ_IN_FLIGHT }, async () => {
        while (fuzzing) {
          await fuzzer.publishAsync(topic, mutatePayload(bases[fuzzSent % bases.length]!, rand), { qos: 1 });
          fuzzSent += 1;
        }
      }),
    );
    const acknowledgedBefore = ingest.stats.acknowledged;
    const t0 = Date.now();
    const soak = await goodStream(collector, ingest, goodEvents, 'soak', quiet);
    const seconds = (Date.now() - t0) / 1000;
    fuzzing = false;
    await fuzz;
    // Every message ingest acknowledged meanwhile that was not a good batch of 500 was a fuzzed one.
    const fuzzHandled = ingest.stats.acknowledged - acknowledgedBefore - goodEvents / 500;
    figures.push(
      { name: 'ingest.clean_events_per_sec', value: Math.round(clean), unit: 'events/s', load },
      { name: 'ingest.events_per_sec_per_core', value: Math.round(goodEvents / cpuSeconds), unit: 'events/s', load: `${load}; MQTT in → archived, per CPU second of the process that also runs the broker and the publisher (a lower bound)` },
      { name: 'ingest.soak_events_per_sec', value: Math.round(soak), unit: 'events/s', load: `${load}; fuzz stream of ${FUZZ_IN_FLIGHT} payloads in flight` },
      { name: 'ingest.soak_fuzz_per_sec', value: Math.round(fuzzHandled / seconds), unit: 'payloads/s', load: `${fuzzSent} mutated or random payloads (seeded)` },
      { name: 'ingest.soak_vs_clean_ratio', value: Math.round((soak / clean) * 100) / 100, unit: 'ratio', load },
    );
  } finally {
    await Promise.allSettled([collector.endAsync(), fuzzer.endAsync()]);
    await ingest.stop();
    await archive.close();
    runtime.close();
    await unreachable.connection.close().catch(() => undefined);
    await broker.close();
  }
  return figures;
}
