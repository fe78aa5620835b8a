/**
 * The collector's publisher against a real Mosquitto that goes down mid-stream: events added during
 * the outage are buffered and all arrive once the broker is back; a bounded buffer drops the oldest
 * batch and counts it instead of growing without limit. A batch the broker acknowledges but drops
 * because nobody subscribes (ingest not resubscribed yet) is kept and sent again.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { BatchPublisher } from '../../src/collect/batch-publisher';
import { connectPublisher } from '../../src/collect/publisher-connection';
import { generateCredentials, loginAs } from '../../src/mqtt/broker-credentials';
import type { EventBatch } from '../../src/model/event';
import { eventsTopic } from '../../src/mqtt/topics';
import { decodeBatch } from '../../src/mqtt/wire-codec';
import { startEmbeddedBrokerProcess } from '../helpers/embedded-broker-process';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto';
import { eventually, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto(); // our own: this test restarts it
});
afterAll(() => broker.stop());

async function subscriber(topic: string, received: string[]): Promise<MqttClient> {
  // A persistent session, so messages published while it is disconnected are queued for it.
  const sub = await mqtt.connectAsync(broker.url, { clientId: `sub-${topic.replace(/\W/g, '')}`, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 300 }, reconnectPeriod: 200 });
  sub.on('message', (_t, payload) => received.push(...(decodeBatch(payload) as EventBatch).events.map((e) => e.id)));
  await sub.subscribeAsync(topic, { qos: 1 });
  return sub;
}

test('events published through a broker outage all arrive after it returns', async () => {
  const tenant = uniqueTenant('outage');
  const received: string[] = [];
  const sub = await subscriber(eventsTopic(tenant, 'process'), received);
  const client = await mqtt.connectAsync(broker.url, { clientId: `pub-${tenant}`, reconnectPeriod: 200 });
  const publisher = new BatchPublisher(client, { tenant, source: 'process', collector: 'c1', maxBatchEvents: 10, maxBatchDelayMs: 10 }, testLogger);
  try {
  const ids = Array.from({ length: 300 }, (_, i) => `ev-${i}`);
  for (const id of ids.slice(0, 100)) publisher.add({ id, time: Date.now(), data: { i: id } });
  await publisher.flush();

  await broker.stop(); // the outage: the broker process is gone
  for (const id of ids.slice(100)) publisher.add({ id, time: Date.now(), data: { i: id } });
  expect(publisher.stats.bufferedEvents).toBe(200);
  await new Promise((r) => setTimeout(r, 500));
  await broker.start();
  await publisher.flush();

  await eventually(async () => (new Set(received).size === ids.length ? true : undefined), `all ${ids.length} events (got ${new Set(received).size})`, 30_000);
  expect([...new Set(received)].sort()).toEqual([...ids].sort());
  expect(publisher.stats.droppedEvents).toBe(0);
  expect(publisher.stats.publishedEvents).toBe(ids.length);
  } finally {
    publisher.close();
    // Forced: a client left reconnecting would fire into later test files.
    await client.endAsync(true);
    await sub.endAsync(true);
  }
});

test('a full buffer drops the oldest batch and counts it', async () => {
  const tenant = uniqueTenant('full');
  // Never connects: everything stays buffered.
  const client = mqtt.connect('mqtt://127.0.0.1:9', { reconnectPeriod: 0, connectTimeout: 100 });
  client.on('error', () => undefined);
  const publisher = new BatchPublisher(client, { tenant, source: 'process', collector: 'c1', maxBatchEvents: 10, maxBufferedEvents: 50 }, testLogger);
  for (let i = 0; i < 120; i++) publisher.add({ id: `e${i}`, time: 0, data: {} });
  expect(publisher.stats.droppedEvents).toBe(70);
  expect(publisher.stats.bufferedEvents).toBe(50);
  publisher.close();
  client.end(true);
});

test('a batch the broker drops for want of a subscriber (MQTT 5 PUBACK 0x10) is kept and published again once one subscribes', async () => {
  const tenant = uniqueTenant('unrouted');
  const client = connectPublisher(broker.url, { clientId: `pub-${tenant}`, reconnectPeriod: 200 }, testLogger);
  const publisher = new BatchPublisher(client, { tenant, source: 'process', collector: 'c1', maxBatchEvents: 5, maxBatchDelayMs: 10 }, testLogger);
  const received: string[] = [];
  let sub: MqttClient | undefined;
  try {
    const ids = Array.from({ length: 20 }, (_, i) => `u-${i}`);
    for (const id of ids) publisher.add({ id, time: Date.now(), data: {} });
    // Nobody subscribes yet: Mosquitto acknowledges and drops; the publisher must notice and hold on.
    await eventually(async () => (publisher.stats.unroutedBatches >= 4 ? true : undefined), 'unrouted batches seen', 15_000, 20);
    expect(publisher.stats.publishedEvents).toBe(0);
    expect(publisher.stats.bufferedEvents).toBe(ids.length);

    sub = await subscriber(eventsTopic(tenant, 'process'), received);
    await publisher.flush();
    await eventually(async () => (new Set(received).size === ids.length ? true : undefined), `all ${ids.length} events (got ${new Set(received).size})`, 15_000);
    expect(publisher.stats.publishedEvents).toBe(ids.length);
  } finally {
    publisher.close();
    await client.endAsync(true);
    await sub?.endAsync(true);
  }
});

test('a publisher connection falls back to MQTT 3.1.1 on a broker without MQTT 5 (the in-process one)', async () => {
  const credentials = generateCredentials([{ username: 'collector.t', role: 'collector', tenant: 't' }]);
  const embedded = await startEmbeddedBrokerProcess(credentials);
  const client = connectPublisher(embedded.url, { reconnectPeriod: 100, ...loginAs(credentials, 'collector.t') }, testLogger);
  try {
    await eventually(async () => (client.connected ? true : undefined), 'connected', 10_000, 20);
    expect(client.options.protocolVersion).toBe(4);
    await client.publishAsync(eventsTopic('t', 'process'), 'x', { qos: 1 });
  } finally {
    await client.endAsync(true);
    await embedded.stop();
  }
});
