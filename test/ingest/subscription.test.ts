/**
 * Ingest is never silently deaf. Against a real Mosquitto restarted with `max_qos 0` (it then grants
 * subscriptions at QoS 0 only, which would void at-least-once): a subscription not granted at QoS 1
 * fails start-up with VGL_INGEST_SUBSCRIBE; one not granted after a restart is logged as
 * VGL_INGEST_SUBSCRIBE and shows in the stats, and ingest subscribes again (and so receives again)
 * once the broker grants it. (Mosquitto's ACLs cannot refuse a SUBSCRIBE: it checks them on delivery.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import mqtt from 'mqtt';
import pino from 'pino';
import { startRuleRuntime, type RuleRuntime } from '../../src/app/rule-runtime';
import { EntityRouter } from '../../src/ingest/entity-router';
import { startIngest, type IngestService } from '../../src/ingest/ingest-service';
import { RawArchive } from '../../src/ingest/raw-archive';
import { eventsTopic } from '../../src/mqtt/topics';
import { encodeBatch } from '../../src/mqtt/wire-codec';
import { mosquittoPlace, startMosquitto, type Mosquitto } from '../helpers/mosquitto';
import { makeRulesDir, podExecEvent, podExecRule } from '../helpers/rules-dir';
import { eventually, sharedClient, uniqueTenant } from '../helpers/shared-servers';

const QOS0_ONLY = ['max_qos 0'];
/** Rewrites the broker's configuration (anonymous, persistent sessions, plus `extra`); it applies from the next restart. */
let reconfigure: (extra: readonly string[]) => void;

const logLines: string[] = [];
const logger = pino({ level: 'warn' }, { write: (line: string) => void logLines.push(line) });
const loggedCodes = (): string[] => logLines.map((l) => (JSON.parse(l) as { code?: string }).code ?? '');

let broker: Mosquitto;
let client: Client;
let runtime: RuleRuntime;
let archive: RawArchive;
let ingest: IngestService | undefined;

beforeAll(async () => {
  const { port, dataDir } = await mosquittoPlace();
  const file = path.join(dataDir, 'test.conf');
  reconfigure = (extra) =>
    writeFileSync(file, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dataDir}/`, 'autosave_interval 1', ...extra, ''].join('\n'));
  reconfigure([]);
  broker = await startMosquitto({ config: { file, port } });
  client = await sharedClient();
  runtime = await startRuleRuntime({ VIGIL_RULES_DIR: makeRulesDir({ 'pod-exec.yml': podExecRule }) }, logger);
  archive = new RawArchive(mkdtempSync(path.join(tmpdir(), 'vigil-sub-archive-')));
});

afterAll(async () => {
  await ingest?.stop();
  await archive.close();
  runtime.close();
  await client.connection.close();
  await broker.stop();
});

const start = (tenant: string): Promise<IngestService> =>
  startIngest({
    mqttUrl: broker.url,
    clientId: `ingest-${tenant}`,
    shareGroup: `g-${tenant}`,
    tenants: [tenant],
    rules: runtime.ruleSet,
    builder: runtime.builder,
    router: new EntityRouter(client, logger),
    archive,
    stateDir: mkdtempSync(path.join(tmpdir(), 'vigil-sub-state-')),
    logger,
  });

test('a subscription not granted at QoS 1 at start-up fails start-up with VGL_INGEST_SUBSCRIBE', async () => {
  reconfigure(QOS0_ONLY);
  await broker.restart(100);
  try {
    await expect(start(uniqueTenant('denied'))).rejects.toThrow(/^VGL_INGEST_SUBSCRIBE: .*\$share\/g-denied-\w+\/vigil\/v1\/\+\/events\/\+: 0x0/);
  } finally {
    reconfigure([]);
    await broker.restart(100);
  }
});

test('a subscription not granted after a broker restart is logged and counted, and made again once granted', async () => {
  const tenant = uniqueTenant('regrant');
  ingest = await start(tenant);
  const service = ingest;
  expect(service.stats.subscribedConnections).toBe(1);

  reconfigure(QOS0_ONLY);
  await broker.restart(100);
  await eventually(async () => (loggedCodes().includes('VGL_INGEST_SUBSCRIBE') ? true : undefined), 'VGL_INGEST_SUBSCRIBE logged', 20_000, 50);
  expect(service.stats.subscribedConnections).toBe(0);

  reconfigure([]);
  await broker.restart(100);
  await eventually(async () => (service.stats.subscribedConnections === 1 ? true : undefined), 'subscribed again', 20_000, 50);
  const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
  try {
    const id = `${tenant}-after`;
    await publisher.publishAsync(eventsTopic(tenant, 'k8s_audit'), encodeBatch({ v: 1, collector: 'c', events: [{ id, time: Date.now(), data: podExecEvent(id, 'ns', 'p', 'eve') }] }), { qos: 1 });
    await eventually(async () => (service.stats.events === 1 ? true : undefined), `event received after re-subscribing (${JSON.stringify(service.stats)})`, 20_000, 50);
  } finally {
    await publisher.endAsync();
  }
});
