/**
 * Tenant isolation at both brokers, each doing what every row of the access table says: real Mosquitto
 * 2.0 running the configuration `vigil broker config` generated (MQTT 5: a refused publish gets PUBACK
 * 0x87), and the embedded aedes broker of `vigil dev` (MQTT 3.1.1: a refused publish closes the
 * connection). Either way nothing refused reaches a reader: an ingest and a global-operator observer
 * would see it, and a sentinel published after it proves they would have by now.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { brokerIdentities } from '../../src/mqtt/broker-policy';
import { generateCredentials, loginAs, type BrokerCredential } from '../../src/mqtt/broker-credentials';
import { startEmbeddedBrokerProcess } from '../helpers/embedded-broker-process';
import { startGeneratedMosquitto } from '../helpers/generated-mosquitto';
import { eventually } from '../helpers/shared-servers';
import { accessTable, TABLE_SHARE_GROUP, TABLE_TENANTS, withoutShareGroup } from './access-table';

jest.setTimeout(120_000);

interface Broker {
  url: string;
  protocolVersion: 4 | 5;
  credentials: BrokerCredential[];
  stop(): Promise<void>;
}

/** The generated files, run by /usr/sbin/mosquitto. */
async function generatedMosquitto(): Promise<Broker> {
  const broker = await startGeneratedMosquitto(TABLE_TENANTS, TABLE_SHARE_GROUP);
  return { url: broker.url, protocolVersion: 5, credentials: broker.credentials, stop: broker.stop };
}

async function embeddedAedes(): Promise<Broker> {
  const credentials = generateCredentials(brokerIdentities(TABLE_TENANTS));
  const broker = await startEmbeddedBrokerProcess(credentials);
  return { url: broker.url, protocolVersion: 4, credentials, stop: broker.stop };
}

// The embedded broker's ingest has no share group (aedes has no shared subscriptions).
describe.each([
  ['Mosquitto with the generated configuration', generatedMosquitto, accessTable],
  ['the embedded broker', embeddedAedes, withoutShareGroup(accessTable)],
])('%s', (_name, start, table) => {
  let broker: Broker;
  const clients: MqttClient[] = [];
  /** Payloads seen by ingest (every tenant's events) and by the global operator (every dead letter). */
  const seen: string[] = [];
  let sequence = 0;

  const options = (username?: string, password?: string): IClientOptions => ({
    protocolVersion: broker.protocolVersion,
    reconnectPeriod: 0,
    clientId: `t-${username ?? 'anon'}-${++sequence}`,
    ...(username ? { username, password: password ?? loginAs(broker.credentials, username).password } : {}),
  });
  const connect = async (username: string): Promise<MqttClient> => {
    const client = await mqtt.connectAsync(broker.url, options(username));
    clients.push(client);
    return client;
  };
  /** Published allowed messages both observers must see: once they have, anything refused before them would have arrived too. */
  const sentinel = async (): Promise<void> => {
    const marks = [`sentinel-${++sequence}`, `sentinel-${++sequence}`];
    await (await connect('collector.acme')).publishAsync('vigil/v1/acme/events/k8s_audit', marks[0]!, { qos: 1 });
    await (await connect('ingest')).publishAsync('vigil/v1/acme/deadletter', marks[1]!, { qos: 1 });
    await eventually(async () => (marks.every((m) => seen.includes(m)) ? true : undefined), 'sentinels seen', 10_000, 20);
  };

  beforeAll(async () => {
    broker = await start();
    const ingest = await connect('ingest');
    await ingest.subscribeAsync('vigil/v1/+/events/+', { qos: 1 });
    const operator = await connect('operator');
    await operator.subscribeAsync('vigil/v1/+/deadletter', { qos: 1 });
    for (const observer of [ingest, operator]) observer.on('message', (_topic, payload) => seen.push(payload.toString()));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await broker.stop();
  });

  test('anonymous clients, unknown users and wrong passwords are refused', async () => {
    await expect(mqtt.connectAsync(broker.url, options())).rejects.toThrow(/Not authorized/i);
    await expect(mqtt.connectAsync(broker.url, options('mallory', 'a-long-random-looking-secret-123'))).rejects.toThrow(/Not authorized/i);
    await expect(mqtt.connectAsync(broker.url, options('collector.acme', `${loginAs(broker.credentials, 'collector.acme').password}x`))).rejects.toThrow(/Not authorized/i);
  });

  test.each(table.filter(([, access]) => access === 'subscribe'))('%s %s %s: allowed %s', async (username, _access, filter, allowed) => {
    const client = await connect(username);
    const granted = await client.subscribeAsync(filter, { qos: 1 }).then(
      (grants) => grants[0]!.qos,
      (err: Error & { packet?: { granted?: number[] } }) => err.packet?.granted?.[0],
    );
    if (allowed) expect(granted).toBe(1);
    else expect(granted).toBe(broker.protocolVersion === 5 ? 0x87 : 0x80);
  });

  test.each(table.filter(([, access]) => access === 'publish'))('%s %s %s: allowed %s', async (username, _access, topic, allowed) => {
    const client = await connect(username);
    const payload = `row-${++sequence}`;
    const closed = new Promise<string>((resolve) => client.once('close', () => resolve('connection closed')));
    const outcome = await Promise.race([
      client.publishAsync(topic, payload, { qos: 1 }).then(
        () => 'acknowledged',
        (err: Error & { code?: number }) => `refused ${err.code}`,
      ),
      closed,
    ]);
    if (allowed) {
      expect(outcome).toBe('acknowledged');
      if (!topic.endsWith('/extra')) await eventually(async () => (seen.includes(payload) ? true : undefined), `${payload} delivered`, 10_000, 20);
      return;
    }
    // MQTT 5: PUBACK "Not authorized"; MQTT 3.1.1 has no negative PUBACK, so the broker hangs up.
    expect(outcome).toBe(broker.protocolVersion === 5 ? 'refused 135' : 'connection closed');
    await sentinel();
    expect(seen).not.toContain(payload);
  });

  test("a tenant's operator receives its tenant's dead letters, not another's", async () => {
    const acmeOperator = await connect('operator.acme');
    const received: string[] = [];
    acmeOperator.on('message', (topic) => received.push(topic));
    await acmeOperator.subscribeAsync('vigil/v1/acme/deadletter', { qos: 1 });
    const ingest = await connect('ingest');
    await ingest.publishAsync('vigil/v1/globex/deadletter', 'globex letter', { qos: 1 });
    await ingest.publishAsync('vigil/v1/acme/deadletter', 'acme letter', { qos: 1 });
    await eventually(async () => (received.length > 0 ? true : undefined), 'acme dead letter delivered', 10_000, 20);
    expect(received).toEqual(['vigil/v1/acme/deadletter']);
  });
});

test('on Mosquitto a collector cannot join the ingest share group, so ingest receives the whole stream', async () => {
  const broker = await generatedMosquitto();
  const connect = (username: string): Promise<MqttClient> =>
    mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0, ...loginAs(broker.credentials, username) });
  const [ingest, intruder, collector] = await Promise.all([connect('ingest'), connect('collector.globex'), connect('collector.acme')]);
  try {
    const shared = `$share/${TABLE_SHARE_GROUP}/vigil/v1/+/events/+`;
    const received: string[] = [];
    ingest.on('message', (_topic, payload) => received.push(payload.toString()));
    await ingest.subscribeAsync(shared, { qos: 1 });
    // Before the policy plugin this SUBACK was granted and Mosquitto dropped every second message.
    await expect(intruder.subscribeAsync(shared, { qos: 1 })).rejects.toThrow(/Not authorized/);
    for (let i = 0; i < 20; i++) await collector.publishAsync('vigil/v1/acme/events/k8s_audit', `m${i}`, { qos: 1 });
    await eventually(async () => (received.length === 20 ? true : undefined), `all 20 messages at ingest (got ${received.length})`, 10_000, 20);
  } finally {
    await Promise.all([ingest, intruder, collector].map((c) => c.endAsync(true)));
    await broker.stop();
  }
});
