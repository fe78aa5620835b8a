/**
 * A message ingest keeps dying on is dead-lettered, not redelivered forever. Real `vigil ingest`
 * processes on the real Mosquitto are killed with SIGKILL while one message is in progress (its
 * archive write cannot succeed: the archive path is a file); after each restart the broker redelivers
 * it (DUP set), the attempt record in the data dir counts the unfinished starts, and past
 * VIGIL_INGEST_MAX_ATTEMPTS the next ingest dead-letters it unread (VGL_DLQ_ATTEMPTS) with its bytes.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { DeadLetter } from '../../src/ingest/dead-letter';
import { eventsTopic } from '../../src/mqtt/topics';
import { encodeBatch } from '../../src/mqtt/wire-codec';
import { makeRulesDir, podExecEvent, podExecRule } from '../helpers/rules-dir';
import { eventually, sharedMqttUrl, sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { startVigil, type VigilProcess } from '../helpers/vigil-process';

const tenant = uniqueTenant('crash');
const MAX_ATTEMPTS = 3;
let listener: MqttClient;
let ingest: VigilProcess | undefined;
const letters: DeadLetter[] = [];

beforeAll(async () => {
  listener = await mqtt.connectAsync(sharedMqttUrl(), { protocolVersion: 5 });
  await listener.subscribeAsync(`vigil/v1/${tenant}/deadletter`, { qos: 1 });
  listener.on('message', (_t, payload) => letters.push(JSON.parse(payload.toString()) as DeadLetter));
});

afterAll(async () => {
  await ingest?.kill9();
  await listener.endAsync();
});

test(`a message in progress at ${MAX_ATTEMPTS} crashes in a row is dead-lettered unread (VGL_DLQ_ATTEMPTS)`, async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-crash-'));
  writeFileSync(path.join(dataDir, 'archive'), 'not a directory'); // every archive write fails: the message stays in progress
  mkdirSync(path.join(dataDir, 'ingest'));
  const env = {
    TEMPORAL_ADDRESS: sharedTemporalAddress(),
    MQTT_URL: sharedMqttUrl(),
    VIGIL_TENANTS: tenant,
    VIGIL_RULES_DIR: makeRulesDir({ 'pod-exec.yml': podExecRule }),
    VIGIL_DATA_DIR: dataDir,
    VIGIL_INGEST_GROUP: `g-${tenant}`,
    VIGIL_INGEST_CONNECTIONS: '1',
    VIGIL_INGEST_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    LOG_LEVEL: 'info',
  };
  const attemptsDir = path.join(dataDir, 'ingest', 'attempts');
  const start = async (): Promise<VigilProcess> => {
    const p = startVigil(['ingest'], env);
    await eventually(async () => (p.output().includes('ingest subscribed') ? true : undefined), `ingest started: ${p.output()}`, 30_000, 100);
    return p;
  };

  ingest = await start();
  const payload = encodeBatch({ v: 1, collector: 'c', events: [{ id: `${tenant}-e`, time: Date.now(), data: podExecEvent(`${tenant}-e`, 'ns', 'p', 'eve') }] });
  await listener.publishAsync(eventsTopic(tenant, 'k8s_audit'), payload, { qos: 1 });
  // Each run: the message is stuck retrying the archive write, then the process dies with it.
  const outputs: string[] = [];
  for (let run = 1; run <= MAX_ATTEMPTS; run++) {
    const p = ingest;
    await eventually(async () => (p.output().includes('archive write failed') ? true : undefined), `run ${run} handling the message`, 30_000, 100);
    if (run > 1) expect(readdirSync(attemptsDir)).toHaveLength(1); // the redelivery is on record before it is handled
    await p.kill9();
    outputs.push(p.output());
    ingest = await start();
  }
  // From its second redelivery on, the message had been in progress at a crash: it is handled alone.
  expect(outputs.map((o) => o.includes('handling it alone'))).toEqual([false, false, true]);
  const letter = await eventually(async () => letters.find((l) => l.code === 'VGL_DLQ_ATTEMPTS'), 'VGL_DLQ_ATTEMPTS letter', 30_000, 100);
  expect(letter.reason).toMatch(new RegExp(`${MAX_ATTEMPTS} times without finishing`));
  expect(Buffer.from(letter.payloadBase64!, 'base64')).toEqual(payload);
  expect(ingest.output()).not.toContain('archive write failed'); // dead-lettered unread: never handled again
  await eventually(async () => (readdirSync(attemptsDir).length === 0 ? true : undefined), 'attempt record removed');
});
