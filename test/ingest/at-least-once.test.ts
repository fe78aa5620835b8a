/**
 * Acknowledge-after-hand-off, on a real Mosquitto and Temporal: while Temporal cannot be reached,
 * ingest keeps messages unacknowledged (several in flight on one connection); after ingest is stopped
 * and started again with the same persistent session, the broker redelivers them and every detection
 * reaches its correlator. (This caught a real loss: a handler installed after CONNACK let mqtt.js
 * auto-acknowledge the redelivered messages.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import mqtt from 'mqtt';
import { startRuleRuntime, type RuleRuntime } from '../../src/app/rule-runtime';
import { EntityRouter } from '../../src/ingest/entity-router';
import { startIngest, type IngestService } from '../../src/ingest/ingest-service';
import { RawArchive } from '../../src/ingest/raw-archive';
import { eventsTopic } from '../../src/mqtt/topics';
import { encodeBatch } from '../../src/mqtt/wire-codec';
import { payloadConverter } from '../../src/temporal/payload-converter';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import type { DetectionBatch } from '../../workflows/correlator/messages';
import { makeRulesDir, podExecEvent, podExecRule } from '../helpers/rules-dir';
import { eventually, sharedClient, sharedMqttUrl, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';

let runtime: RuleRuntime;
let archive: RawArchive;
let stateDir: string;

beforeAll(async () => {
  runtime = await startRuleRuntime({ VIGIL_RULES_DIR: makeRulesDir({ 'pod-exec.yml': podExecRule }) }, testLogger);
  archive = new RawArchive(mkdtempSync(path.join(tmpdir(), 'vigil-alo-')));
  stateDir = mkdtempSync(path.join(tmpdir(), 'vigil-alo-state-'));
});
afterAll(async () => {
  runtime.close();
  await archive.close();
});

function ingestWith(tenant: string, shared: boolean, client: Client, router?: EntityRouter): Promise<IngestService> {
  return startIngest({
    mqttUrl: sharedMqttUrl(),
    clientId: `ingest-${tenant}`,
    shareGroup: shared ? `g-${tenant}` : '',
    tenants: [tenant],
    rules: runtime.ruleSet,
    builder: runtime.builder,
    router: router ?? new EntityRouter(client, testLogger),
    archive,
    stateDir,
    logger: testLogger,
  });
}

test.each([
  ['a shared subscription', true],
  ['a plain subscription', false],
])('messages not handed to Temporal stay unacknowledged and are redelivered to the next ingest (%s)', async (_kind, shared) => {
  const tenant = uniqueTenant('alo');
  // Temporal unreachable: every signal fails, ingest retries and never acknowledges.
  const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const first = await ingestWith(tenant, shared, unreachable);
  const publisher = await mqtt.connectAsync(sharedMqttUrl(), { protocolVersion: 5 });
  const pods = ['a', 'b', 'c'];
  for (const pod of pods) {
    const data = podExecEvent(`${tenant}-${pod}`, 'ns', pod, 'eve');
    await publisher.publishAsync(eventsTopic(tenant, 'k8s_audit'), encodeBatch({ v: 1, collector: 't', events: [{ id: `${tenant}-${pod}`, time: Date.now(), data }] }), { qos: 1 });
  }
  // All three are being handled at once on one connection (none acknowledged yet).
  await eventually(async () => (first.stats.detections === 3 ? true : undefined), 'three messages in flight', 20_000, 50);
  await first.stop();

  const client = await sharedClient();
  const second = await ingestWith(tenant, shared, client);
  try {
    for (const pod of pods) {
      const handle = client.workflow.getHandle(correlatorWorkflowId(tenant, { type: 'pod', id: `ns/${pod}` }));
      const ids = await eventually(async () => {
        const history = await handle.fetchHistory();
        const batches = history.events!.filter((e) => e.workflowExecutionSignaledEventAttributes).map((e) => payloadConverter.fromPayload<DetectionBatch>(e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!));
        const found = batches.flatMap((b) => b.detections.map((d) => d.eventId));
        return found.length > 0 ? found : undefined;
      }, `redelivered detection for pod ${pod} ${JSON.stringify(second.stats)}`, 60_000);
      expect(ids).toContain(`${tenant}-${pod}`);
    }
  } finally {
    await second.stop();
    await publisher.endAsync(true);
    await client.connection.close();
  }
});
