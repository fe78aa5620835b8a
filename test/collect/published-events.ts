/**
 * Test helper: everything published on a tenant's event topics of the shared Mosquitto, decoded and
 * validated with ingest's own schemas (a batch ingest would dead-letter fails the test).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { EventBatchSchema, RawEventSchema, type RawEvent } from '../../src/model/event';
import { TOPIC_PREFIX } from '../../src/mqtt/topics';
import { decodeBatch } from '../../src/mqtt/wire-codec';
import { sharedMqttUrl } from '../helpers/shared-servers';

export interface PublishedEvents {
  readonly client: MqttClient;
  readonly events: Array<RawEvent & { topic: string; collector: string }>;
  /** Resolves when `predicate` holds for the events received so far. */
  until(predicate: (events: PublishedEvents['events']) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function subscribeEvents(tenant: string): Promise<PublishedEvents> {
  const client = await mqtt.connectAsync(sharedMqttUrl());
  const events: PublishedEvents['events'] = [];
  client.on('message', (topic, payload) => {
    const batch = EventBatchSchema.parse(decodeBatch(payload));
    for (const e of batch.events) events.push({ ...RawEventSchema.parse(e), topic, collector: batch.collector });
  });
  await client.subscribeAsync(`${TOPIC_PREFIX}/${tenant}/events/+`, { qos: 1 });
  return {
    client,
    events,
    until: async (predicate, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(events)) {
        if (Date.now() > deadline) throw new Error(`timed out; ${events.length} events received`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => client.endAsync(),
  };
}
