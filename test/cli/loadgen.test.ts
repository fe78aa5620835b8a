/**
 * `vigil loadgen` against a real stack: Mosquitto running the configuration `vigil broker config` generated (every
 * tenant's collector has its own login and may publish only on its tenant's topics) and a real ingest archiving what
 * arrives. Counts, not speed: rate × duration events arrive at ingest, each tenant's with its own hosts, every host
 * with its share.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startRuleRuntime, type RuleRuntime } from '../../src/app/rule-runtime';
import { EntityRouter } from '../../src/ingest/entity-router';
import { startIngest, type IngestService } from '../../src/ingest/ingest-service';
import { RawArchive } from '../../src/ingest/raw-archive';
import { INGEST_USERNAME } from '../../src/mqtt/broker-policy';
import { loginAs } from '../../src/mqtt/broker-credentials';
import { archivedEvents } from '../helpers/archived-events';
import { startGeneratedMosquitto, type GeneratedMosquitto } from '../helpers/generated-mosquitto';
import { makeRulesDir } from '../helpers/rules-dir';
import { eventually, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { runVigil, runVigilAsync } from '../helpers/vigil-process';

jest.setTimeout(120_000);

const tenants = [uniqueTenant('lga'), uniqueTenant('lgb')];
const SHARE_GROUP = 'loadgen-test';
let broker: GeneratedMosquitto;
let runtime: RuleRuntime;
let ingest: IngestService;
let archive: RawArchive;
let archiveDir: string;
// No rule matches at ingest (the folder has none), so events are archived and never routed: Temporal is not needed.
const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });

beforeAll(async () => {
  broker = await startGeneratedMosquitto(tenants, SHARE_GROUP);
  runtime = await startRuleRuntime({ VIGIL_RULES_DIR: makeRulesDir({}) }, testLogger);
  archiveDir = mkdtempSync(path.join(tmpdir(), 'vigil-loadgen-archive-'));
  archive = new RawArchive(archiveDir);
  const login = loginAs(broker.credentials, INGEST_USERNAME);
  ingest = await startIngest({
    mqttUrl: broker.url,
    mqttUsername: login.username,
    mqttPassword: login.password,
    clientId: 'loadgen-test-ingest',
    shareGroup: SHARE_GROUP,
    tenants,
    rules: runtime.ruleSet,
    builder: runtime.builder,
    router: new EntityRouter(unreachable, testLogger),
    archive,
    stateDir: mkdtempSync(path.join(tmpdir(), 'vigil-loadgen-ingest-')),
    logger: testLogger,
  });
});

afterAll(async () => {
  await ingest?.stop();
  await archive?.close();
  runtime?.close();
  await unreachable.connection.close().catch(() => undefined);
  await broker?.stop();
});

test('rate × duration events arrive at ingest, spread over the hosts of each tenant, each published with its tenant’s login', async () => {
  const [rate, duration, entities] = [150, 2, 6];
  const run = await runVigilAsync(['loadgen', '--rate', `${rate}`, '--entities', `${entities}`, '--tenants', '2', '--duration', `${duration}`, '--credentials', broker.credentialsDir, '--json'], {
    MQTT_URL: broker.url,
    VIGIL_TENANTS: tenants.join(','),
  });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  const report = JSON.parse(run.stdout) as { runId: string; events: number; perTenant: Record<string, number>; pubackMs: { batches: number; p50: number } };
  const total = rate * duration;
  expect(report).toMatchObject({ events: total, perTenant: { [tenants[0]!]: total / 2, [tenants[1]!]: total / 2 } });
  expect(report.pubackMs.batches).toBeGreaterThan(0);
  expect(report.pubackMs.p50).toBeGreaterThanOrEqual(0);

  const ofRun = (events: Awaited<ReturnType<typeof archivedEvents>>) => [...events.values()].filter((e) => e.id.startsWith(`loadgen:${report.runId}:`));
  const archived = await eventually(async () => {
    const found = await Promise.all(tenants.map(async (t) => ofRun(await archivedEvents(archiveDir, t, 'process'))));
    return found.every((events) => events.length === total / 2) ? found : undefined;
  }, `${total} loadgen events archived`, 60_000, 200);

  // Host m belongs to tenant m mod 2 and gets one event in `entities`: each tenant has its three hosts, 50 events each.
  archived.forEach((events, t) => {
    const perHost = new Map<unknown, number>();
    for (const e of events) perHost.set(e.data.Hostname, (perHost.get(e.data.Hostname) ?? 0) + 1);
    const hosts = Array.from({ length: entities }, (_, m) => m).filter((m) => m % 2 === t).map((m) => `loadgen-host-${m}`);
    expect(Object.fromEntries(perHost)).toEqual(Object.fromEntries(hosts.map((h) => [h, total / entities])));
  });
  expect(new Set(archived.flat().map((e) => e.id)).size).toBe(total);
});

test('a tenant beyond VIGIL_TENANTS or fewer hosts than tenants is refused with VGL_CONFIG_INVALID', () => {
  const env = { MQTT_URL: broker.url, VIGIL_TENANTS: tenants.join(',') };
  const tooMany = runVigil(['loadgen', '--rate', '10', '--tenants', '3', '--duration', '1'], env);
  expect([tooMany.status, tooMany.stderr]).toEqual([2, expect.stringMatching(/VGL_CONFIG_INVALID.*--tenants 3 exceeds the 2 tenant\(s\) of VIGIL_TENANTS/)]);
  const fewHosts = runVigil(['loadgen', '--rate', '10', '--tenants', '2', '--entities', '1', '--duration', '1'], env);
  expect([fewHosts.status, fewHosts.stderr]).toEqual([2, expect.stringMatching(/VGL_CONFIG_INVALID.*--entities 1 cannot spread over 2 tenants/)]);
});
