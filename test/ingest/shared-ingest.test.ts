/**
 * Two ingest instances share the stream through the MQTT 5 shared subscription (issue 10 item 4): on real
 * Mosquitto run with the configuration `vigil broker config` generates, both log in as `ingest` with their own
 * VIGIL_INGEST_CLIENT_ID (one host, as two processes of one machine would be), and a collector publishes 600
 * events in 150 batches. Each instance takes a share, and together they archive every event exactly once.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startIngestRole, type IngestRole } from '../../src/app/ingest-process';
import { BatchPublisher } from '../../src/collect/batch-publisher';
import { connectPublisherNow } from '../../src/collect/publisher-connection';
import { loadConfig } from '../../src/config';
import { brokerIdentities, collectorUsername } from '../../src/mqtt/broker-policy';
import { readCredentialFile } from '../../src/mqtt/broker-credentials';
import { mosquittoPlace, startMosquitto, type Mosquitto } from '../helpers/mosquitto';
import { makeRulesDir } from '../helpers/rules-dir';
import { eventually, sharedClient, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { runVigil } from '../helpers/vigil-process';

jest.setTimeout(120_000);

const tenant = uniqueTenant('shared');
let out: string;
let broker: Mosquitto;
let client: Client;
const ingests: IngestRole[] = [];

function login(username: string): { username: string; password: string } {
  const identity = brokerIdentities([tenant]).find((i) => i.username === username)!;
  return { username, password: readCredentialFile(path.join(out, 'credentials'), identity)!.password };
}

beforeAll(async () => {
  out = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-shared-ingest-')), 'deploy');
  chmodSync(path.dirname(out), 0o755);
  const { port, dataDir } = await mosquittoPlace();
  const generated = runVigil(['broker', 'config', '--out', out, '--generate', '--listen', `127.0.0.1:${port}`, '--persistence-dir', dataDir], { VIGIL_TENANTS: tenant, VIGIL_INGEST_GROUP: 'vigil-ingest' });
  expect([generated.status, generated.stderr]).toEqual([0, '']);
  broker = await startMosquitto({ config: { file: path.join(out, 'mosquitto', 'mosquitto.conf'), port } });
  client = await sharedClient();
  const rulesDir = makeRulesDir({});
  const ingestLogin = login('ingest');
  for (const name of ['a', 'b']) {
    const config = loadConfig({
      MQTT_URL: broker.url,
      MQTT_USERNAME: ingestLogin.username,
      MQTT_PASSWORD: ingestLogin.password,
      VIGIL_TENANTS: tenant,
      VIGIL_INGEST_GROUP: 'vigil-ingest',
      VIGIL_INGEST_CLIENT_ID: `ingest-${tenant}-${name}`,
      VIGIL_INGEST_CONNECTIONS: '2',
      VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), `vigil-shared-ingest-${name}-`)),
      VIGIL_RULES_DIR: rulesDir,
    });
    ingests.push(await startIngestRole(config, broker.url, client, testLogger));
  }
});

afterAll(async () => {
  for (const ingest of ingests) await ingest.stop();
  await client?.connection.close();
  await broker?.stop();
});

test('two ingest instances split the stream; every event is archived once', async () => {
  const publisherClient = await connectPublisherNow(broker.url, { ...login(collectorUsername(tenant)), clientId: `collector-${tenant}` }, testLogger);
  try {
    const publisher = new BatchPublisher(publisherClient, { tenant, source: 'json', collector: 'shared-test', maxBatchEvents: 4, maxBatchDelayMs: 5 }, testLogger);
    const total = 600;
    for (let i = 0; i < total; i++) publisher.add({ id: `${tenant}-${i}`, time: Date.now(), data: { message: `event ${i}` } });
    await publisher.flush();
    expect(publisher.stats).toMatchObject({ publishedEvents: total, unroutedBatches: 0, droppedEvents: 0 });

    const [a, b] = ingests.map((i) => i.service);
    await eventually(async () => (a!.stats.events + b!.stats.events >= total && a!.stats.acknowledged + b!.stats.acknowledged >= 150 ? true : undefined), `all archived (a ${JSON.stringify(a!.stats)}, b ${JSON.stringify(b!.stats)})`, 60_000, 100);
    // A share each (the broker round-robins a group's subscribers), and no event twice: no loss, no duplicate.
    expect(a!.stats.events).toBeGreaterThan(0);
    expect(b!.stats.events).toBeGreaterThan(0);
    expect(a!.stats.events + b!.stats.events).toBe(total);
    expect(a!.stats.messages + b!.stats.messages).toBe(150);
    expect([a!.stats.deadLetteredEvents, b!.stats.deadLetteredEvents]).toEqual([0, 0]);
    expect([a!.stats.subscribedConnections, b!.stats.subscribedConnections]).toEqual([2, 2]);
  } finally {
    await publisherClient.endAsync();
  }
});
