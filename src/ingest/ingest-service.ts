/**
 * The ingest tier: subscribes to every tenant's event topics (an MQTT 5 shared subscription when a
 * group is configured, so instances split the load), and for each message: checks the topic, decodes,
 * validates, archives, matches rules and routes detections to entity correlators. The message is
 * acknowledged (PUBACK) only after the archive write is synced and Temporal accepted every signal; if
 * Temporal is unreachable ingest retries with back-off and stops reading (back-pressure on the broker).
 * Bad input is dead-lettered with its reason and never blocks or takes good events with it.
 */
import mqtt, { type IClientOptions, type MqttClient, type IPublishPacket } from 'mqtt';
import type { Logger } from 'pino';
import { RawEventSchema, EventBatchSchema, type RawEvent } from '../model/event';
import type { Detection, RuleRef } from '../model/detection';
import type { SourceKind } from '../model/source';
import { ingestSubscription, parseEventsTopic } from '../mqtt/topics';
import { decodeBatch } from '../mqtt/wire-codec';
import { DeadLetterPublisher } from './dead-letter';
import { handleWithOrderedAcks } from './ordered-acks';
import { rejectForeignTenantClaim } from './tenant-claim';
import type { DetectionBuilder } from './detection-builder';
import type { EntityRouter } from './entity-router';
import type { RawArchive } from './raw-archive';

/** What ingest needs of a rule set; the Sigma RuleSet satisfies it. Read through a getter so hot reloads apply to the next message. */
export interface DetectionRules {
  readonly version: string;
  match(event: unknown, source: SourceKind): RuleRef[];
}

export interface IngestOptions {
  mqttUrl: string;
  mqttUsername?: string;
  mqttPassword?: string;
  /** Stable per instance: the broker keeps this session's unacknowledged messages across restarts. */
  clientId: string;
  /** MQTT 5 shared-subscription group; '' = plain subscription (MQTT 3.1.1, e.g. the in-process broker). */
  shareGroup: string;
  /** Consuming connections in this process (shared subscriptions only). */
  connections?: number;
  /** Messages handled at once per connection (acknowledged in order once handed off). Default 32. */
  maxInFlightPerConnection?: number;
  tenants: readonly string[];
  rules: () => DetectionRules;
  builder: () => DetectionBuilder;
  router: EntityRouter;
  archive: RawArchive;
  logger: Logger;
}

export interface IngestStats {
  messages: number;
  events: number;
  detections: number;
  deadLetters: Partial<Record<string, number>>;
}

export interface IngestService {
  stats: IngestStats;
  stop(): Promise<void>;
}

export async function startIngest(options: IngestOptions): Promise<IngestService> {
  const { logger } = options;
  const stats: IngestStats = { messages: 0, events: 0, detections: 0, deadLetters: {} };
  const baseOptions: IClientOptions = {
    clean: false,
    protocolVersion: options.shareGroup ? 5 : 4,
    ...(options.shareGroup ? { properties: { sessionExpiryInterval: 3600 } } : {}),
    username: options.mqttUsername,
    password: options.mqttPassword,
    reconnectPeriod: 1000,
  };
  // Dead letters go out on their own connection: mqtt.js reads no packet (PUBACKs included) while a
  // message is being handled, so awaiting a publish on a consuming connection would deadlock.
  const dlqClient = await mqtt.connectAsync(options.mqttUrl, { ...baseOptions, clean: true, properties: undefined, clientId: `${options.clientId}-dlq` });
  const deadLetters = new DeadLetterPublisher(dlqClient, logger);
  stats.deadLetters = deadLetters.counts;
  let stopping = false;

  const handle = async (packet: IPublishPacket): Promise<void> => {
    const receivedAt = Date.now();
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    stats.messages += 1;
    const topic = parseEventsTopic(packet.topic, options.tenants);
    if (!topic.ok) {
      await deadLetters.publish(topic.tenant, { code: 'VGL_DLQ_TOPIC', reason: topic.reason, topic: packet.topic, receivedAt, payloadBase64: payload.toString('base64') });
      return;
    }
    let decoded: unknown;
    try {
      decoded = decodeBatch(payload);
    } catch (err) {
      await deadLetters.publish(topic.tenant, { code: 'VGL_DLQ_DECODE', reason: `not msgpack: ${(err as Error).message}`, topic: packet.topic, receivedAt, payloadBase64: payload.toString('base64') });
      return;
    }
    const batch = EventBatchSchema.safeParse(decoded);
    if (!batch.success) {
      const issue = batch.error.issues[0]!;
      await deadLetters.publish(topic.tenant, {
        code: 'VGL_DLQ_SCHEMA',
        reason: `batch: ${issue.message}`,
        field: issue.path.join('.'),
        topic: packet.topic,
        receivedAt,
        payloadBase64: payload.toString('base64'),
      });
      return;
    }
    if (await rejectForeignTenantClaim(batch.data, { deadLetters, topic: packet.topic, topicTenant: topic.tenant, receivedAt, payload })) return;
    const events: RawEvent[] = [];
    const bad: Promise<void>[] = [];
    batch.data.events.forEach((raw, index) => {
      const parsed = RawEventSchema.safeParse(raw);
      if (parsed.success) events.push(parsed.data);
      else {
        const issue = parsed.error.issues[0]!;
        bad.push(deadLetters.publish(topic.tenant, { code: 'VGL_DLQ_SCHEMA', reason: issue.message, field: issue.path.join('.'), index, topic: packet.topic, receivedAt, event: raw }));
      }
    });
    await Promise.all(bad);
    stats.events += events.length;
    await options.archive.append(topic.tenant, topic.source, batch.data.collector, events, receivedAt);

    const rules = options.rules();
    const builder = options.builder();
    const detections: Detection[] = [];
    for (const event of events) {
      const matched = rules.match(event.data, topic.source);
      if (matched.length > 0) detections.push(builder.build(topic.tenant, topic.source, event, matched, rules.version));
    }
    if (detections.length === 0) return;
    stats.detections += detections.length;
    await routeWithRetry(() => options.router.route(topic.tenant, detections), logger, () => stopping);
  };

  // Each message is acknowledged after its hand-off (at-least-once), in order, with up to
  // `maxInFlightPerConnection` messages being handled at once; beyond that reading pauses (back-pressure).
  const subscription = ingestSubscription(options.shareGroup);
  const count = options.shareGroup ? Math.max(1, options.connections ?? 1) : 1;
  const consumers: MqttClient[] = [];
  for (let i = 0; i < count; i++) {
    // The handler is installed before the connection opens: a resumed session's unacknowledged messages
    // arrive right after CONNACK, and mqtt.js's default handler would acknowledge (and so lose) them.
    const client = mqtt.connect(options.mqttUrl, { ...baseOptions, clientId: count === 1 ? options.clientId : `${options.clientId}-${i}` });
    handleWithOrderedAcks(client, handle, { maxInFlight: options.maxInFlightPerConnection ?? 32, logger });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(subscription, { qos: 1 });
    consumers.push(client);
  }
  logger.info({ subscription, url: options.mqttUrl, connections: count }, 'ingest subscribed');

  return {
    stats,
    stop: async () => {
      stopping = true;
      await Promise.all([...consumers.map((c) => c.endAsync()), dlqClient.endAsync()]);
    },
  };
}

async function routeWithRetry(route: () => Promise<void>, logger: Logger, stopping: () => boolean): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await route();
      return;
    } catch (err) {
      if (stopping()) throw err;
      const delay = Math.min(30_000, 200 * 2 ** Math.min(attempt, 8));
      logger.warn({ err: (err as Error).message, attempt, retryInMs: delay }, 'routing to Temporal failed; retrying before acknowledging');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
