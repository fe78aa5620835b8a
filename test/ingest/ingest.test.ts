/**
 * Ingest against real Mosquitto and a real Temporal server: bad input is dead-lettered with its reason
 * and location, good events in the same batch still reach the archive and their correlator.
 */
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import mqtt, { type MqttClient } from 'mqtt';
import { pack } from 'msgpackr';
import { startRuleRuntime, type RuleRuntime } from '../../src/app/rule-runtime';
import type { DeadLetter } from '../../src/ingest/dead-letter';
import { EntityRouter } from '../../src/ingest/entity-router';
import { startIngest, type IngestService } from '../../src/ingest/ingest-service';
import { RawArchive } from '../../src/ingest/raw-archive';
import { eventsTopic } from '../../src/mqtt/topics';
import { encodeBatch } from '../../src/mqtt/wire-codec';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import { makeRulesDir, podExecEvent, podExecRule } from '../helpers/rules-dir';
import { eventually, sharedClient, sharedMqttUrl, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';

const tenant = uniqueTenant('dlq');
let client: Client;
let runtime: RuleRuntime;
let ingest: IngestService;
let publisher: MqttClient;
let archiveDir: string;
let archive: RawArchive;
const letters: Array<{ topic: string; letter: DeadLetter }> = [];

beforeAll(async () => {
  const rulesDir = makeRulesDir({ 'pod-exec.yml': podExecRule });
  runtime = await startRuleRuntime({ VIGIL_RULES_DIR: rulesDir }, testLogger);
  expect(runtime.ruleSet().rules).toHaveLength(1);
  client = await sharedClient();
  archiveDir = mkdtempSync(path.join(tmpdir(), 'vigil-archive-'));
  ingest = await startIngest({
    mqttUrl: sharedMqttUrl(),
    clientId: `ingest-${tenant}`,
    shareGroup: `g-${tenant}`,
    tenants: [tenant],
    rules: runtime.ruleSet,
    builder: runtime.builder,
    router: new EntityRouter(client, testLogger),
    archive: (archive = new RawArchive(archiveDir)),
    logger: testLogger,
  });
  publisher = await mqtt.connectAsync(sharedMqttUrl(), { protocolVersion: 5 });
  await publisher.subscribeAsync('vigil/v1/+/deadletter', { qos: 1 });
  publisher.on('message', (topic, payload) => letters.push({ topic, letter: JSON.parse(payload.toString()) as DeadLetter }));
});

afterAll(async () => {
  await publisher.endAsync();
  await ingest.stop();
  await archive.close();
  runtime.close();
  await client.connection.close();
});

const letterWhere = (pred: (l: DeadLetter) => boolean): Promise<{ topic: string; letter: DeadLetter }> =>
  eventually(async () => letters.find((l) => pred(l.letter)), 'dead letter', 15_000, 50);

test('bytes that are not msgpack are dead-lettered as VGL_DLQ_DECODE with the original payload', async () => {
  const garbage = Buffer.from([0xc1, 0xc1, 0xc1]); // 0xc1 is never valid msgpack
  await publisher.publishAsync(eventsTopic(tenant, 'k8s_audit'), garbage, { qos: 1 });
  const { topic, letter } = await letterWhere((l) => l.code === 'VGL_DLQ_DECODE' && l.topic === eventsTopic(tenant, 'k8s_audit'));
  expect(topic).toBe(`vigil/v1/${tenant}/deadletter`);
  expect(Buffer.from(letter.payloadBase64!, 'base64')).toEqual(garbage);
});

test('a batch with the wrong shape is dead-lettered as VGL_DLQ_SCHEMA naming the field', async () => {
  await publisher.publishAsync(eventsTopic(tenant, 'cloudtrail'), pack({ v: 2, collector: 'c', events: [] }), { qos: 1 });
  const { letter } = await letterWhere((l) => l.code === 'VGL_DLQ_SCHEMA' && l.topic === eventsTopic(tenant, 'cloudtrail'));
  expect(letter.field).toBe('v');
  expect(letter.reason).toMatch(/^batch: /);
});

test('unknown tenant and unknown source are dead-lettered as VGL_DLQ_TOPIC', async () => {
  await publisher.publishAsync(`vigil/v1/nobody-${tenant}/events/k8s_audit`, encodeBatch({ v: 1, collector: 'c', events: [] }), { qos: 1 });
  const unknownTenant = await letterWhere((l) => l.code === 'VGL_DLQ_TOPIC' && l.reason.includes(`nobody-${tenant}`));
  expect(unknownTenant.topic).toBe('vigil/v1/_unattributed/deadletter');

  await publisher.publishAsync(`vigil/v1/${tenant}/events/windows_evtx`, encodeBatch({ v: 1, collector: 'c', events: [] }), { qos: 1 });
  const unknownSource = await letterWhere((l) => l.code === 'VGL_DLQ_TOPIC' && l.reason.includes('windows_evtx'));
  expect(unknownSource.topic).toBe(`vigil/v1/${tenant}/deadletter`);
  expect(unknownSource.letter.reason).toMatch(/expected one of .*k8s_audit/);
});

test('one malformed event is dead-lettered alone; its batch-mates are archived and routed', async () => {
  const now = Date.now();
  const good = { id: `good-${tenant}`, time: now, data: podExecEvent(`audit-${tenant}`, 'prod', 'api-7', 'mallory') };
  const bad = { id: `bad-${tenant}`, time: 'yesterday', data: {} };
  await publisher.publishAsync(eventsTopic(tenant, 'k8s_audit'), encodeBatch({ v: 1, collector: 'test', events: [good, bad as never] }), { qos: 1 });

  const { letter } = await letterWhere((l) => l.code === 'VGL_DLQ_SCHEMA' && l.index === 1);
  expect(letter.field).toBe('time');
  expect(letter.event).toEqual(bad);

  const workflowId = correlatorWorkflowId(tenant, { type: 'pod', id: 'prod/api-7' });
  // No worker polls this tenant's queue: the signal-with-start itself proves the hand-off to Temporal.
  const description = await eventually(async () => client.workflow.getHandle(workflowId).describe(), 'correlator started');
  expect(description.status.name).toBe('RUNNING');
  const archived = readFileSync(new RawArchive(archiveDir).fileFor(tenant, 'k8s_audit', Date.now()), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string });
  expect(archived.map((e) => e.id)).toContain(good.id);
  expect(archived.map((e) => e.id)).not.toContain(bad.id);
  expect(ingest.stats.deadLetters.VGL_DLQ_SCHEMA).toBeGreaterThanOrEqual(2);
});
