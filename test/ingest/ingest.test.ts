/**
 * Ingest against real Mosquitto and a real Temporal server: bad input is dead-lettered with its reason
 * and location, good events in the same batch still reach the archive and their correlator.
 *
 * No message can wedge ingest. All of this runs on ONE consuming connection, so a message left
 * unacknowledged would hold every later PUBACK there: a ~70-byte batch from a non-JS encoder with
 * uint64 integers (msgpack 0xcf/0xd3, which msgpackr decodes to BigInt, and on which JSON.stringify
 * throws) and an event that makes rule matching throw are archived or dead-lettered with a reason and
 * acknowledged, and the good messages published after them are handled and acknowledged too.
 */
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import mqtt, { type MqttClient } from 'mqtt';
import { pack, Packr } from 'msgpackr';
import { startRuleRuntime, type RuleRuntime } from '../../src/app/rule-runtime';
import type { DeadLetter } from '../../src/ingest/dead-letter';
import { EntityRouter } from '../../src/ingest/entity-router';
import { startIngest, type IngestService } from '../../src/ingest/ingest-service';
import { RawArchive } from '../../src/ingest/raw-archive';
import { eventsTopic } from '../../src/mqtt/topics';
import { encodeBatch } from '../../src/mqtt/wire-codec';
import { connectClient } from '../../src/temporal/client';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import { makeRulesDir, podExecEvent, podExecRule } from '../helpers/rules-dir';
import { eventually, sharedMqttUrl, uniqueTenant } from '../helpers/shared-servers';
import { archivedEvents } from '../helpers/archived-events';
import { testLogger } from '../helpers/temporal-env';

const tenant = uniqueTenant('dlq');
/** Standard MessagePack, as a Go or Python encoder writes it: BigInt values become uint64/int64. */
const foreign = new Packr({ useRecords: false });
/** Rule matching throws on events carrying this field: a rule-engine bug, injected around the real rule set. */
const THROW_MARKER = 'vigilTestThrowInMatch';
const STRICT_ID_LIMIT = 150;
let server: DevServer;
let client: Client;
let runtime: RuleRuntime;
let ingest: IngestService;
let publisher: MqttClient;
let archiveDir: string;
let archive: RawArchive;
let stateDir: string;
const letters: Array<{ topic: string; letter: DeadLetter }> = [];

beforeAll(async () => {
  const rulesDir = makeRulesDir({ 'pod-exec.yml': podExecRule });
  runtime = await startRuleRuntime({ VIGIL_RULES_DIR: rulesDir }, testLogger);
  expect(runtime.ruleSet().rules).toHaveLength(1);
  // Its own server, with a stricter workflow-id limit than ingest's entity-id bound (an operator's cluster may set
  // one): the only way left to make Temporal refuse a detection's hand-off, which the refusal test below needs.
  server = await startDevServer({ logger: testLogger, namespace: 'default', dynamicConfig: { 'limit.maxIDLength': STRICT_ID_LIMIT } });
  client = await connectClient(server.address, 'default');
  archiveDir = mkdtempSync(path.join(tmpdir(), 'vigil-archive-'));
  ingest = await startIngest({
    mqttUrl: sharedMqttUrl(),
    clientId: `ingest-${tenant}`,
    shareGroup: `g-${tenant}`,
    connections: 1,
    tenants: [tenant],
    rules: () => {
      const real = runtime.ruleSet();
      return {
        version: real.version,
        match: (event, source) => {
          if ((event as Record<string, unknown>)[THROW_MARKER]) throw new Error('matcher bug');
          return real.match(event, source);
        },
      };
    },
    builder: runtime.builder,
    router: new EntityRouter(client, testLogger),
    archive: (archive = new RawArchive(archiveDir)),
    stateDir: (stateDir = mkdtempSync(path.join(tmpdir(), 'vigil-ingest-state-'))),
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
  await server.stop();
});

const letterWhere = (pred: (l: DeadLetter) => boolean): Promise<{ topic: string; letter: DeadLetter }> =>
  eventually(async () => letters.find((l) => pred(l.letter)), 'dead letter', 15_000, 50);

const archived = () => archivedEvents(archiveDir, tenant, 'k8s_audit');

/** Publishes `poison`, then good pod-exec messages; all must be handled and acknowledged on the one connection. */
async function afterPoison(name: string, poison: Buffer): Promise<void> {
  const before = ingest.stats.acknowledged;
  await publisher.publishAsync(eventsTopic(tenant, 'k8s_audit'), poison, { qos: 1 });
  const good = [1, 2, 3].map((i) => `${name}-good-${i}`);
  for (const id of good) {
    await publisher.publishAsync(eventsTopic(tenant, 'k8s_audit'), encodeBatch({ v: 1, collector: 'js', events: [{ id, time: Date.now(), data: podExecEvent(id, 'prod', id, 'eve') }] }), { qos: 1 });
  }
  await eventually(async () => (ingest.stats.acknowledged >= before + 1 + good.length ? true : undefined), `poison and good messages acknowledged (${JSON.stringify(ingest.stats)})`, 20_000, 50);
  const stored = await archived();
  for (const id of good) expect(stored.has(id)).toBe(true);
  // Their detections reached their correlators (no worker polls: the signal-with-start proves the hand-off).
  for (const id of good) await eventually(async () => client.workflow.getHandle(correlatorWorkflowId(tenant, { type: 'pod', id: `prod/${id}` })).describe(), `correlator of ${id}`);
}

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
  const stored = await archived();
  expect(stored.has(good.id)).toBe(true);
  expect(stored.has(bad.id)).toBe(false);
  expect(ingest.stats.deadLetters.VGL_DLQ_SCHEMA).toBeGreaterThanOrEqual(2);
});

test('a 64-bit integer in an event (uint64 0xcf, int64 0xd3) is archived as a number when exact, else a decimal string', async () => {
  const data = { ...podExecEvent('u64', 'prod', 'u64', 'eve'), bytesSent: 2n ** 63n + 5n, epochNanos: 1_767_000_000_000_000_000n, edge: 2n ** 53n, pastEdge: 2n ** 53n + 1n, small: 2n ** 40n, negative: -(2n ** 60n) };
  const poison = foreign.pack({ v: 1, collector: 'go', events: [{ id: 'u64-event', time: BigInt(Date.now()), data }] });
  expect(poison.includes(0xcf)).toBe(true);
  await afterPoison('u64', poison);
  const event = (await archived()).get('u64-event')!;
  expect(typeof event.time).toBe('number'); // a uint64 epoch-ms time is a plain number: accepted
  expect(event.data).toMatchObject({
    bytesSent: '9223372036854775813',
    epochNanos: '1767000000000000000',
    edge: 2 ** 53,
    pastEdge: '9007199254740993',
    small: 2 ** 40,
    negative: '-1152921504606846976',
  });
  expect(ingest.stats.deadLetters.VGL_DLQ_INTERNAL).toBeUndefined();
});

test('the 69-byte poison: an event whose uint64 time cannot be a number is dead-lettered (VGL_DLQ_SCHEMA, field time), not stuck', async () => {
  const poison = foreign.pack({ v: 1, collector: 'go', events: [{ id: 'bad-time', time: 2n ** 63n, data: { n: 2n ** 63n } }] });
  expect(poison.length).toBeLessThan(80);
  await afterPoison('time', poison);
  const { letter } = await letterWhere((l) => l.index === 0 && (l.event as { id?: string } | undefined)?.id === 'bad-time');
  expect(letter).toMatchObject({ code: 'VGL_DLQ_SCHEMA', field: 'time', event: { id: 'bad-time', time: '9223372036854775808', data: { n: '9223372036854775808' } } });
  expect((await archived()).has('bad-time')).toBe(false);
});

test('an event a rule throws on is dead-lettered alone (VGL_DLQ_MATCH); its batch-mate and later messages go through', async () => {
  const mate = { id: 'match-mate', time: Date.now(), data: podExecEvent('match-mate', 'prod', 'match-mate', 'eve') };
  const thrower = { id: 'match-thrower', time: Date.now(), data: { ...podExecEvent('match-thrower', 'prod', 'x', 'eve'), [THROW_MARKER]: true } };
  await afterPoison('match', encodeBatch({ v: 1, collector: 'js', events: [thrower, mate] }));
  const { letter } = await letterWhere((l) => l.code === 'VGL_DLQ_MATCH');
  expect(letter.index).toBe(0);
  expect(letter.reason).toMatch(/matcher bug/);
  expect((letter.event as { id: string }).id).toBe('match-thrower');
  const stored = await archived();
  expect(stored.has('match-mate')).toBe(true);
  expect(stored.has('match-thrower')).toBe(false);
});

test('a message whose detections Temporal refuses (workflow id over its length limit) is dead-lettered as VGL_DLQ_ROUTE, not retried forever', async () => {
  const longPod = 'p'.repeat(200); // within ingest's entity-id bound; entity:{tenant}:pod:prod/ppp… exceeds this server's limit
  await afterPoison('route', encodeBatch({ v: 1, collector: 'js', events: [{ id: 'route-refused', time: Date.now(), data: podExecEvent('route-refused', 'prod', longPod, 'eve') }] }));
  const { letter } = await letterWhere((l) => l.code === 'VGL_DLQ_ROUTE');
  expect(letter.reason).toMatch(/Temporal refused the detections 5 times: .*INVALID_ARGUMENT/);
  expect((await archived()).has('route-refused')).toBe(true); // archived; only its routing failed
});

test('a dead letter too large for the broker is kept in the local dead-letter file, and the message acknowledged', async () => {
  const garbage = Buffer.alloc(900 * 1024, 0xc1); // not msgpack; as base64 in a JSON letter it exceeds 1 MiB
  await afterPoison('big', garbage);
  expect(ingest.stats.deadLettersKept).toBe(1);
  const file = path.join(stateDir, 'deadletter', tenant, `${new Date().toISOString().slice(0, 10)}.ndjson`);
  const kept = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as DeadLetter);
  expect(kept).toHaveLength(1);
  expect(kept[0]!.code).toBe('VGL_DLQ_DECODE');
  expect(Buffer.from(kept[0]!.payloadBase64!, 'base64').equals(garbage)).toBe(true); // (toEqual walks 900k bytes one by one)
});
