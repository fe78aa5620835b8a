/**
 * A Mosquitto restart under load loses nothing. A collector streams detections for 20 pods at ~150
 * messages/s; mid-stream the broker (persistence on) is stopped with SIGTERM and started again. Every
 * event the broker acknowledged to the collector must end up archived or dead-lettered, and every
 * detection must reach its correlator. (This caught ingest going silently deaf: Mosquitto restores a
 * persistent session without its `$share/...` subscription and mqtt.js does not resubscribe when the
 * session is present.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { MqttClient } from 'mqtt';
import { startRuleRuntime, type RuleRuntime } from '../../src/app/rule-runtime';
import { BatchPublisher } from '../../src/collect/batch-publisher';
import { connectPublisher } from '../../src/collect/publisher-connection';
import { EntityRouter } from '../../src/ingest/entity-router';
import { startIngest, type IngestService } from '../../src/ingest/ingest-service';
import { RawArchive } from '../../src/ingest/raw-archive';
import { payloadConverter } from '../../src/temporal/payload-converter';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import type { DetectionBatch } from '../../src/contracts/correlator/messages';
import { archivedEvents } from '../helpers/archived-events';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto';
import { makeRulesDir, podExecEvent, podExecRule } from '../helpers/rules-dir';
import { eventually, sharedClient, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';

const EVENTS = 400;
const PODS = 20;
const RATE_PER_S = 150;

let broker: Mosquitto;
let client: Client;
let runtime: RuleRuntime;
let archiveDir: string;
let archive: RawArchive;
let ingest: IngestService | undefined;
let collector: MqttClient | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
  client = await sharedClient();
  runtime = await startRuleRuntime({ VIGIL_RULES_DIR: makeRulesDir({ 'pod-exec.yml': podExecRule }) }, testLogger);
  archiveDir = mkdtempSync(path.join(tmpdir(), 'vigil-restart-'));
  archive = new RawArchive(archiveDir);
});

afterAll(async () => {
  await collector?.endAsync(true);
  await ingest?.stop();
  await archive.close();
  runtime.close();
  await client.connection.close();
  await broker.stop();
});

async function archivedIds(tenant: string): Promise<Set<string>> {
  return new Set((await archivedEvents(archiveDir, tenant, 'k8s_audit')).keys());
}

async function idsAtCorrelators(tenant: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let p = 0; p < PODS; p++) {
    const handle = client.workflow.getHandle(correlatorWorkflowId(tenant, { type: 'pod', id: `ns/p${p}` }));
    const history = await handle.fetchHistory().catch(() => undefined);
    for (const e of history?.events ?? []) {
      const input = e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0];
      if (input) for (const d of payloadConverter.fromPayload<DetectionBatch>(input).detections) ids.add(d.eventId);
    }
  }
  return ids;
}

test.each([
  ['a shared subscription', true],
  ['a plain subscription', false],
])('a broker restart mid-stream loses no event (%s)', async (_kind, shared) => {
  const tenant = uniqueTenant('restart');
  ingest = await startIngest({
    mqttUrl: broker.url,
    clientId: `ingest-${tenant}`,
    shareGroup: shared ? `g-${tenant}` : '',
    connections: 2,
    tenants: [tenant],
    rules: runtime.ruleSet,
    builder: runtime.builder,
    router: new EntityRouter(client, testLogger),
    archive,
    stateDir: mkdtempSync(path.join(tmpdir(), 'vigil-restart-state-')),
    logger: testLogger,
  });
  // A collector as `vigil collect` connects, reconnecting faster than ingest does (the worst case).
  collector = connectPublisher(broker.url, { clientId: `collector-${tenant}`, reconnectPeriod: 200 }, testLogger);
  const publisher = new BatchPublisher(collector, { tenant, source: 'k8s_audit', collector: 'restart-test', maxBatchEvents: 1, maxInFlight: 16 }, testLogger);

  const ids: string[] = [];
  let restart: Promise<void> | undefined;
  for (let i = 0; i < EVENTS; i++) {
    const id = `${tenant}-${i}`;
    ids.push(id);
    publisher.add({ id, time: Date.now(), data: podExecEvent(id, 'ns', `p${i % PODS}`, 'eve') });
    if (i === Math.floor(EVENTS / 3)) restart = broker.restart(300);
    await new Promise((r) => setTimeout(r, 1000 / RATE_PER_S));
  }
  await restart;
  // Bounded, unlike flush(): a collector whose batches keep going unrouted must fail the test, not hang it.
  await eventually(async () => (publisher.stats.bufferedEvents === 0 ? true : undefined), `collector buffer drained (${JSON.stringify(publisher.stats)})`, 60_000, 200);
  expect(publisher.stats.publishedEvents).toBe(EVENTS);

  const service = ingest;
  const archived = await eventually(async () => {
    const found = await archivedIds(tenant);
    return found.size + service.stats.deadLetteredEvents >= EVENTS ? found : undefined;
  }, `every acknowledged event archived or dead-lettered (${JSON.stringify(service.stats)})`, 60_000, 500);
  expect([...archived].sort()).toEqual([...ids].sort());
  expect(service.stats.deadLetters).toEqual({});

  const routed = await eventually(async () => {
    const found = await idsAtCorrelators(tenant);
    return found.size >= EVENTS ? found : undefined;
  }, 'every detection at its correlator', 60_000, 1000);
  expect([...routed].sort()).toEqual([...ids].sort());

  publisher.close();
  await collector.endAsync(true);
  collector = undefined;
  await service.stop();
  ingest = undefined;
});
