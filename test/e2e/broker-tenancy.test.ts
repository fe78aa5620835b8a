/**
 * The generated broker setup works end to end: `vigil broker config` output run by real Mosquitto, a real
 * ingest logging in as `ingest`, and the collectors (`vigil collect file`, `vigil replay`) logging in as
 * acme's collector with the credentials file the generator wrote: their events reach acme's archive. A
 * batch on acme's topic that claims another tenant is dead-lettered (VGL_DLQ_TENANT), which acme's
 * operator reads, and is not archived.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import mqtt, { type MqttClient } from 'mqtt';
import { startIngestRole, type IngestRole } from '../../src/app/ingest-process';
import { loadConfig } from '../../src/config';
import type { DeadLetter } from '../../src/ingest/dead-letter';
import { brokerIdentities } from '../../src/mqtt/broker-policy';
import { readCredentialFile } from '../../src/mqtt/broker-credentials';
import { eventsTopic } from '../../src/mqtt/topics';
import { encodeBatch } from '../../src/mqtt/wire-codec';
import { projectRoot } from '../../src/project-root';
import { mosquittoPlace, startMosquitto, type Mosquitto } from '../helpers/mosquitto';
import { makeRulesDir } from '../helpers/rules-dir';
import { eventually, sharedClient } from '../helpers/shared-servers';
import { archivedEvents } from '../helpers/archived-events';
import { testLogger } from '../helpers/temporal-env';
import { runVigil } from '../helpers/vigil-process';

jest.setTimeout(120_000);

const tenants = ['acme', 'globex'];
let out: string;
let broker: Mosquitto;
let client: Client;
let ingest: IngestRole;
let operator: MqttClient;
let archiveDir: string;
const letters: DeadLetter[] = [];

/** MQTT_URL plus the MQTT_USERNAME/MQTT_PASSWORD of one generated identity, as a process's environment. */
function loginEnv(username: string): Record<string, string> {
  const identity = brokerIdentities(tenants).find((i) => i.username === username)!;
  const credential = readCredentialFile(path.join(out, 'credentials'), identity)!;
  return { MQTT_URL: broker.url, MQTT_USERNAME: username, MQTT_PASSWORD: credential.password, VIGIL_TENANTS: tenants.join(',') };
}

const archived = async (source: 'json' | 'cloudtrail'): Promise<string[]> => [...(await archivedEvents(archiveDir, 'acme', source)).keys()];

beforeAll(async () => {
  out = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-broker-e2e-')), 'deploy');
  // The broker, once it has dropped root, must reach the files under it: the generator creates `deploy` itself.
  chmodSync(path.dirname(out), 0o755);
  const { port, dataDir } = await mosquittoPlace();
  const generated = runVigil(['broker', 'config', '--out', out, '--generate', '--listen', `127.0.0.1:${port}`, '--persistence-dir', dataDir], { VIGIL_TENANTS: tenants.join(','), VIGIL_INGEST_GROUP: 'vigil-ingest' });
  expect([generated.status, generated.stderr]).toEqual([0, '']);
  broker = await startMosquitto({ config: { file: path.join(out, 'mosquitto', 'mosquitto.conf'), port } });

  const ingestDataDir = mkdtempSync(path.join(tmpdir(), 'vigil-broker-e2e-data-'));
  const config = loadConfig({ ...loginEnv('ingest'), VIGIL_INGEST_GROUP: 'vigil-ingest', VIGIL_DATA_DIR: ingestDataDir, VIGIL_RULES_DIR: makeRulesDir({}) });
  client = await sharedClient();
  ingest = await startIngestRole(config, broker.url, client, testLogger);
  archiveDir = path.join(ingestDataDir, 'archive');

  const acmeOperator = loginEnv('operator.acme');
  operator = await mqtt.connectAsync(broker.url, { protocolVersion: 5, username: acmeOperator.MQTT_USERNAME, password: acmeOperator.MQTT_PASSWORD });
  operator.on('message', (_topic, payload) => letters.push(JSON.parse(payload.toString()) as DeadLetter));
  await operator.subscribeAsync('vigil/v1/acme/deadletter', { qos: 1 });
});

afterAll(async () => {
  await operator?.endAsync();
  await ingest?.stop();
  await client?.connection.close();
  await broker?.stop();
});

test("`vigil collect file` as acme's collector: the event reaches acme's archive", async () => {
  const input = path.join(out, 'events.ndjson');
  writeFileSync(input, `${JSON.stringify({ id: 'e2e-collected-1', message: 'hello from acme' })}\n`);
  const r = runVigil(['collect', 'file', input, '--source', 'json', '--tenant', 'acme'], loginEnv('collector.acme'));
  expect([r.status, r.stdout]).toEqual([0, expect.stringContaining('published 1 events to tenant acme')]);
  await eventually(async () => ((await archived('json')).length > 0 ? true : undefined), `archived (ingest ${JSON.stringify(ingest.service.stats)})`, 30_000, 100);
  expect(await archived('json')).toHaveLength(1);
});

test("`vigil collect file --tenant globex` with acme's collector login stops with VGL_COLLECT_PUBLISH_REFUSED instead of hanging", async () => {
  const input = path.join(out, 'foreign.ndjson');
  writeFileSync(input, [1, 2, 3].map((i) => JSON.stringify({ id: `e2e-foreign-${i}`, message: 'acme writing as globex' })).join('\n') + '\n');
  const r = runVigil(['collect', 'file', input, '--source', 'json', '--tenant', 'globex'], loginEnv('collector.acme'));
  // Mosquitto answers the ACL-denied publish with PUBACK 0x87; before, the batch was kept for a reconnect that never came.
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('VGL_COLLECT_PUBLISH_REFUSED');
  expect(r.stderr).toContain('vigil/v1/globex/events/json (PUBACK 0x87 Not authorized); 3 events not published');
});

test("`vigil replay` as acme's collector: every scenario event is archived", async () => {
  const r = runVigil(['replay', path.join(projectRoot, 'rules', 'scenarios', 'aws-credential-compromise.ndjson'), '--tenant', 'acme', '--speed', '100000'], loginEnv('collector.acme'));
  expect([r.status, r.stdout]).toEqual([0, expect.stringMatching(/published (\d+) events/)]);
  const published = Number(/published (\d+) events/.exec(r.stdout)![1]);
  await eventually(async () => ((await archived('cloudtrail')).length === published ? true : undefined), `${published} events archived`, 30_000, 100);
});

test("a batch on acme's topic claiming tenant globex is dead-lettered to acme's operator and not archived", async () => {
  const collector = loginEnv('collector.acme');
  const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, username: collector.MQTT_USERNAME, password: collector.MQTT_PASSWORD });
  try {
    const event = { id: 'e2e-forged-claim', time: Date.now(), data: { message: 'claims globex' } };
    await publisher.publishAsync(eventsTopic('acme', 'json'), encodeBatch({ v: 1, collector: 'forger', tenant: 'globex', events: [event] }), { qos: 1 });
    const letter = await eventually(async () => letters.find((l) => l.code === 'VGL_DLQ_TENANT'), 'VGL_DLQ_TENANT dead letter', 15_000, 50);
    expect(letter).toMatchObject({ field: 'tenant', topic: 'vigil/v1/acme/events/json', reason: expect.stringContaining("claims tenant 'globex'") });
    expect(await archived('json')).not.toContain(event.id);
  } finally {
    await publisher.endAsync();
  }
});
