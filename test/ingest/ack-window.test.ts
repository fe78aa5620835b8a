/**
 * The ack window on a real Mosquitto (configured by `vigil broker config`) and a real Temporal: one message whose
 * signal Temporal has not accepted yet (held by a client interceptor on its correlator's signal-with-start) does not
 * stop the messages after it from being read and handed off, more of them than Mosquitto's default
 * `max_inflight_messages` (20) lets a client have unacknowledged; none is acknowledged before it (PUBACKs go out in
 * receive order), and once it is accepted every message is. Stopping ingest with the window full loses nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import mqtt, { type MqttClient } from 'mqtt';
import { Registry } from 'prom-client';
import { startRuleRuntime, type RuleRuntime } from '../../src/app/rule-runtime';
import { EntityRouter } from '../../src/ingest/entity-router';
import { startIngest, type IngestOptions, type IngestService } from '../../src/ingest/ingest-service';
import { IngestMetrics } from '../../src/metrics/ingest-metrics';
import { RawArchive } from '../../src/ingest/raw-archive';
import { collectorUsername, INGEST_USERNAME } from '../../src/mqtt/broker-policy';
import { loginAs } from '../../src/mqtt/broker-credentials';
import { eventsTopic } from '../../src/mqtt/topics';
import { encodeBatch } from '../../src/mqtt/wire-codec';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import type { DetectionBatch } from '../../src/contracts/correlator/messages';
import { payloadConverter } from '../../src/temporal/payload-converter';
import { startGeneratedMosquitto, type GeneratedMosquitto } from '../helpers/generated-mosquitto';
import { makeRulesDir, podExecEvent, podExecRule } from '../helpers/rules-dir';
import { eventually, sharedClient, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';

/** Messages after the held one: more than Mosquitto's default of 20 unacknowledged messages per client. */
const LATER = 60;

let runtime: RuleRuntime;
let archive: RawArchive;
let base: Client;

beforeAll(async () => {
  runtime = await startRuleRuntime({ VIGIL_RULES_DIR: makeRulesDir({ 'pod-exec.yml': podExecRule }) }, testLogger);
  archive = new RawArchive(mkdtempSync(path.join(tmpdir(), 'vigil-ackw-')));
  base = await sharedClient();
});
afterAll(async () => {
  runtime.close();
  await archive.close();
  await base.connection.close();
});

/** A client whose signal-with-start to `workflowId` waits until `release()`; every other call goes straight through. */
function holdingClient(workflowId: string): { client: Client; release(): void; held: Promise<void> } {
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const held = new Promise<void>((r) => (reached = r));
  const client = new Client({
    connection: base.connection,
    interceptors: {
      workflow: [
        {
          signalWithStart: async (input, next) => {
            if (input.options.workflowId === workflowId) {
              reached();
              await gate;
            }
            return next(input);
          },
        },
      ],
    },
  });
  return { client, release, held };
}

interface Stack {
  tenant: string;
  broker: GeneratedMosquitto;
  publisher: MqttClient;
  slowPod: string;
}

async function stackFor(shareGroup: (tenant: string) => string): Promise<Stack> {
  const tenant = uniqueTenant('ackw');
  const broker = await startGeneratedMosquitto([tenant], shareGroup(tenant));
  const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `pub-${tenant}`, ...loginAs(broker.credentials, collectorUsername(tenant)) });
  return { tenant, broker, publisher, slowPod: 'slow' };
}

function ingestOn(stack: Stack, shareGroup: string, router: EntityRouter, extra: Partial<IngestOptions> = {}): Promise<IngestService> {
  const login = loginAs(stack.broker.credentials, INGEST_USERNAME);
  return startIngest({
    mqttUrl: stack.broker.url,
    mqttUsername: login.username,
    mqttPassword: login.password,
    clientId: `ingest-${stack.tenant}`,
    shareGroup,
    connections: 1,
    tenants: [stack.tenant],
    rules: runtime.ruleSet,
    builder: runtime.builder,
    router,
    archive,
    stateDir: mkdtempSync(path.join(tmpdir(), 'vigil-ackw-state-')),
    logger: testLogger,
    ...extra,
  });
}

/** The held message first (pod `slow`), then LATER messages for other pods, each one event of its own user. */
function messages(stack: Stack): Buffer[] {
  const pods = [stack.slowPod, ...Array.from({ length: LATER }, (_, i) => `p${i}`)];
  return pods.map((pod, i) => encodeBatch({ v: 1, collector: 't', events: [{ id: `${stack.tenant}-${pod}`, time: Date.now(), data: podExecEvent(`${stack.tenant}-${pod}`, 'ns', pod, `user${i}`) }] }));
}

async function publishAll(stack: Stack, payloads = messages(stack)): Promise<void> {
  for (const payload of payloads) await stack.publisher.publishAsync(eventsTopic(stack.tenant, 'k8s_audit'), payload, { qos: 1 });
}

async function metricValues(registry: Registry, name: string): Promise<{ value: number; metricName?: string }[]> {
  return (await registry.getSingleMetric(name)!.get()).values;
}

/** Every later message's detections were accepted by Temporal (pod and user correlators each), the held one's user's too. */
const laterHandedOff = (ingest: IngestService, router: () => EntityRouter['stats']): Promise<true> =>
  eventually(async () => (router().detections >= 2 * LATER + 1 ? true : undefined), `later messages handed off ${JSON.stringify(ingest.stats)}`, 60_000, 100);

test.each([
  ['an MQTT 5 shared subscription (Receive Maximum)', (t: string) => `g-${t}`],
  ['an MQTT 3.1.1 plain subscription (max_inflight_messages of the generated configuration)', () => ''],
])('a message whose signal is held does not stop later ones being handed off; all are acknowledged in order once it is accepted (%s)', async (_kind, group) => {
  const stack = await stackFor(group);
  const hold = holdingClient(correlatorWorkflowId(stack.tenant, { type: 'pod', id: `ns/${stack.slowPod}` }));
  const router = new EntityRouter(hold.client, testLogger);
  const ingest = await ingestOn(stack, group(stack.tenant), router);
  try {
    await publishAll(stack);
    await hold.held;
    await laterHandedOff(ingest, () => router.stats);
    // Handed off, yet unacknowledged: each waits for the held message received before it on the same connection.
    expect(ingest.stats.acknowledged).toBe(0);
    expect(ingest.stats.unacknowledged).toBe(LATER + 1);

    hold.release();
    await eventually(async () => (ingest.stats.acknowledged === LATER + 1 ? true : undefined), `every message acknowledged ${JSON.stringify(ingest.stats)}`, 60_000, 100);
    expect(ingest.stats.unacknowledged).toBe(0);
  } finally {
    hold.release();
    await ingest.stop();
    await stack.publisher.endAsync(true);
    await stack.broker.stop();
  }
});

test('stopping ingest with a full window of handed-off messages behind a held one loses nothing: the next ingest gets them all', async () => {
  const group = (t: string): string => `g-${t}`;
  const stack = await stackFor(group);
  const slowId = correlatorWorkflowId(stack.tenant, { type: 'pod', id: `ns/${stack.slowPod}` });
  const hold = holdingClient(slowId);
  const first = await ingestOn(stack, group(stack.tenant), new EntityRouter(hold.client, testLogger));
  let second: IngestService | undefined;
  let firstStopped = false;
  try {
    await publishAll(stack);
    await hold.held;
    await eventually(async () => (first.stats.detections === LATER + 1 ? true : undefined), `every message in the window ${JSON.stringify(first.stats)}`, 60_000, 100);
    await first.stop();
    firstStopped = true;

    // Same session, Temporal no longer held: the broker redelivers the whole window, the held message included.
    second = await ingestOn(stack, group(stack.tenant), new EntityRouter(base, testLogger));
    await eventually(async () => (second!.stats.acknowledged >= LATER + 1 ? true : undefined), `redelivered and acknowledged ${JSON.stringify(second!.stats)}`, 60_000, 100);
    const ids = await eventually(async () => {
      const history = await base.workflow.getHandle(slowId).fetchHistory();
      const batches = history.events!.filter((e) => e.workflowExecutionSignaledEventAttributes).map((e) => payloadConverter.fromPayload<DetectionBatch>(e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!));
      const found = batches.flatMap((b) => b.detections.map((d) => d.eventId));
      return found.length > 0 ? found : undefined;
    }, 'the held message reached its correlator');
    expect(ids).toContain(`${stack.tenant}-${stack.slowPod}`);
  } finally {
    hold.release();
    if (!firstStopped) await first.stop();
    await second?.stop();
    await stack.publisher.endAsync(true);
    await stack.broker.stop();
  }
});

test('the byte budget pauses reading behind a held message; reading resumes and everything is acknowledged once it is accepted', async () => {
  const group = (t: string): string => `g-${t}`;
  const stack = await stackFor(group);
  const hold = holdingClient(correlatorWorkflowId(stack.tenant, { type: 'pod', id: `ns/${stack.slowPod}` }));
  const payloads = messages(stack);
  // The held message and the next fit (the later ones are smaller); the third one fills the budget.
  const maxBytes = 2 * payloads[0]!.length + 1;
  const registry = new Registry();
  const metrics = new IngestMetrics(registry, [stack.tenant]);
  const ingest = await ingestOn(stack, group(stack.tenant), new EntityRouter(hold.client, testLogger, { metrics }), { maxBytesPerConnection: maxBytes, metrics });
  try {
    await publishAll(stack, payloads);
    await hold.held;
    await eventually(async () => (ingest.stats.messages === 3 && ingest.stats.detections === 3 ? true : undefined), `three messages read ${JSON.stringify(ingest.stats)}`, 60_000, 100);
    expect(ingest.stats.acknowledged).toBe(0);

    hold.release();
    await eventually(async () => (ingest.stats.acknowledged === LATER + 1 ? true : undefined), `every message acknowledged ${JSON.stringify(ingest.stats)}`, 60_000, 100);
    const [paused] = await metricValues(registry, 'vigil_ingest_read_paused_seconds_total');
    expect(paused!.value).toBeGreaterThan(0);
    const ackWaits = (await metricValues(registry, 'vigil_ingest_ack_wait_seconds')).find((v) => v.metricName === 'vigil_ingest_ack_wait_seconds_count');
    expect(ackWaits!.value).toBe(LATER + 1);
  } finally {
    hold.release();
    await ingest.stop();
    await stack.publisher.endAsync(true);
    await stack.broker.stop();
  }
});
