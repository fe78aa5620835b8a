import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { BatchPublisher } from '../../src/collect/batch-publisher';
import { SpillQueue } from '../../src/collect/spill-queue';
import type { RawEvent } from '../../src/model/event';
import { eventsTopic } from '../../src/mqtt/topics';
import { decodeBatch } from '../../src/mqtt/wire-codec';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto';

const logger = pino({ level: 'silent' });
/** Event ids seen by the subscriber. */
const received = new Set<string>();
const event = (i: number): RawEvent => ({ id: `e${i}`, time: 1764144000000 + i, data: { n: i } });

async function until(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${received.size} received)`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('publisher spill to disk through a broker outage', () => {
  let broker: Mosquitto;
  let subscriber: MqttClient;
  const topic = eventsTopic('acme', 'json');

  beforeAll(async () => {
    broker = await startMosquitto(); // our own: this test stops it
    // A persistent session: the broker keeps (and persists) what arrives while we are reconnecting.
    subscriber = await mqtt.connectAsync(broker.url, { clientId: `spill-sub-${process.pid}`, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 300 }, reconnectPeriod: 100 });
    subscriber.on('message', (_t, payload) => {
      for (const e of (decodeBatch(payload) as { events: RawEvent[] }).events) received.add(e.id);
    });
    await subscriber.subscribeAsync(topic, { qos: 1 });
  });

  afterAll(async () => {
    await subscriber.endAsync(true);
    await broker.stop();
  });

  test('events beyond the memory bound go to disk while the broker is down, and all arrive once it is back', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-spill-'));
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 100 });
    const spill = new SpillQueue(dir, 64 * 1024 * 1024, logger);
    const publisher = new BatchPublisher(client, { tenant: 'acme', source: 'json', collector: 'test', maxBatchEvents: 10, maxBatchDelayMs: 10, maxBufferedEvents: 50, spill }, logger);
    try {
      for (let i = 0; i < 100; i++) publisher.add(event(i));
      await publisher.flush();
      await until('the events before the outage at the subscriber', () => received.size === 100);
      const outage = broker.restart(1500);
      await until('the publisher to see the outage', () => !client.connected);
      for (let i = 100; i < 1100; i++) publisher.add(event(i));
      await until('the last batch to be sealed', () => publisher.stats.bufferedEvents === 1000 && publisher.stats.spilledEvents >= 900);
      expect(readdirSync(dir).length).toBeGreaterThanOrEqual(90);
      expect(publisher.stats.droppedEvents).toBe(0);
      await outage;
      await publisher.flush();
      await until('every event at the subscriber', () => received.size === 1100);
      expect([...received].filter((id) => Number(id.slice(1)) < 1100)).toHaveLength(1100);
      expect(publisher.stats).toMatchObject({ publishedEvents: 1100, droppedEvents: 0, bufferedEvents: 0 });
      expect(readdirSync(dir)).toEqual([]); // files go once acknowledged
    } finally {
      publisher.close();
      await client.endAsync(true);
    }
  });

  test('batches spilled by a collector that stopped during the outage are published by the next one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-spill-'));
    const down = mqtt.connect('mqtt://127.0.0.1:1', { reconnectPeriod: 0 }); // never connects
    const first = new BatchPublisher(down, { tenant: 'acme', source: 'json', collector: 'test', maxBatchEvents: 10, maxBufferedEvents: 10, spill: new SpillQueue(dir, 1 << 26, logger) }, logger);
    for (let i = 2000; i < 2100; i++) first.add(event(i));
    expect(first.stats.spilledEvents).toBeGreaterThanOrEqual(80);
    first.close();
    down.end(true);

    const client = await mqtt.connectAsync(broker.url);
    const second = new BatchPublisher(client, { tenant: 'acme', source: 'json', collector: 'test', maxBufferedEvents: 10, spill: new SpillQueue(dir, 1 << 26, logger) }, logger);
    try {
      expect(second.stats.bufferedEvents).toBe(first.stats.spilledEvents);
      await second.flush();
      const spilledIds = Array.from({ length: 100 }, (_, i) => `e${2000 + i}`).slice(100 - first.stats.spilledEvents);
      await until('the spilled events at the subscriber', () => spilledIds.every((id) => received.has(id)));
    } finally {
      second.close();
      await client.endAsync(true);
    }
  });

  test('the spill directory is bounded: beyond it the oldest batches are dropped and counted', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-spill-'));
    const spill = new SpillQueue(dir, 2000, logger);
    let dropped = 0;
    for (let b = 0; b < 20; b++) dropped += spill.push(Array.from({ length: 10 }, (_, i) => event(b * 10 + i)));
    expect(dropped).toBeGreaterThan(0);
    expect(spill.events + dropped).toBe(200);
    const first = spill.shift();
    expect('batch' in first && first.batch[0]!.id).toBe(`e${dropped}`); // the oldest survivors come first
  });
});
