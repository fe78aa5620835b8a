/**
 * The ingest tier: subscribes to every tenant's event topics (an MQTT 5 shared subscription when a
 * group is configured, so instances split the load) on every connection and reconnection, and hands
 * each message to the message handler (decode, validate, match, archive, route). A message is
 * acknowledged (PUBACK) only after the archive write is synced and Temporal accepted every signal, or
 * after it was dead-lettered; if Temporal is unreachable ingest retries with back-off and stops
 * reading (back-pressure on the broker). No message holds the acknowledgements of later ones for good, and while
 * it holds them the later ones are still handed off (up to the ack window: ordered-acks.ts).
 */
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { ErrorCode } from '../error-codes';
import { ingestSubscription } from '../mqtt/topics';
import { AttemptLedger } from './attempt-ledger';
import { DeadLetterPublisher } from './dead-letter';
import { IsolationGate } from './isolation-gate';
import { keepSubscribed, type Subscriber } from './keep-subscribed';
import { createMessageHandler, type HandlerCounters, type MessageHandlerDeps } from './message-handler';
import { DEFAULT_ACK_WINDOW, DEFAULT_ACK_WINDOW_BYTES, handleWithOrderedAcks, type AckWindow } from './ordered-acks';

export interface IngestOptions extends Pick<MessageHandlerDeps, 'tenants' | 'rules' | 'builder' | 'router' | 'archive' | 'logger' | 'metrics'> {
  mqttUrl: string;
  mqttUsername?: string;
  mqttPassword?: string;
  /** Stable per instance: the broker keeps this session's unacknowledged messages across restarts. */
  clientId: string;
  /** MQTT 5 shared-subscription group; '' = plain subscription (MQTT 3.1.1, e.g. the in-process broker). */
  shareGroup: string;
  /** Consuming connections in this process (shared subscriptions only). */
  connections?: number;
  /**
   * Messages handled at once per connection (acknowledged in order once handed off), advertised to the broker as the
   * MQTT 5 Receive Maximum. Default DEFAULT_ACK_WINDOW.
   */
  maxInFlightPerConnection?: number;
  /** Payload bytes of unacknowledged messages per connection before reading pauses. Default DEFAULT_ACK_WINDOW_BYTES. */
  maxBytesPerConnection?: number;
  /** Tries per message before it is dead-lettered (Temporal refusing it, or ingest crashing on it). Default 5, at least 2. */
  maxAttempts?: number;
  /** Ingest's own state: `attempts/` (redelivered-message records) and `deadletter/` (letters the broker did not take). */
  stateDir: string;
}

/**
 * A snapshot. Counts include redeliveries (at-least-once), so `events + deadLetteredEvents` is at least
 * the number of events published once everything is handed off; for equality, compare distinct event
 * ids in the archive and the dead letters.
 */
export interface IngestStats extends HandlerCounters {
  /** Messages acknowledged to the broker (PUBACK). */
  acknowledged: number;
  /** Dead letters by code, published or kept in the local file. */
  deadLetters: Partial<Record<ErrorCode, number>>;
  /** Dead letters written to `<stateDir>/deadletter/` because the broker did not take them. */
  deadLettersKept: number;
  /** Consuming connections whose subscription the broker currently grants. */
  subscribedConnections: number;
  /** Messages received and not yet acknowledged, over every consuming connection (the ack windows' occupancy). */
  unacknowledged: number;
  /** Ack window size over every consuming connection: messages handled at once before reading pauses. */
  ackWindowCapacity: number;
  /** Reconnections of the consuming and dead-letter MQTT connections. */
  reconnects: number;
}

export interface IngestService {
  readonly stats: IngestStats;
  stop(): Promise<void>;
}

export async function startIngest(options: IngestOptions): Promise<IngestService> {
  const { logger } = options;
  const maxInFlight = options.maxInFlightPerConnection ?? DEFAULT_ACK_WINDOW;
  const baseOptions: IClientOptions = {
    clean: false,
    protocolVersion: options.shareGroup ? 5 : 4,
    // Receive Maximum: without it Mosquitto sends at most `max_inflight_messages` (default 20) unacknowledged
    // messages, whatever the window. MQTT 3.1.1 has no such property: the broker's own limit applies (the in-process
    // broker has none; `vigil broker config` sets Mosquitto's to the default window).
    ...(options.shareGroup ? { properties: { sessionExpiryInterval: 3600, receiveMaximum: maxInFlight } } : {}),
    username: options.mqttUsername,
    password: options.mqttPassword,
    reconnectPeriod: 1000,
    // mqtt.js stops reconnecting after a refused CONNACK unless told otherwise: ingest would go deaf.
    reconnectOnConnackError: true,
    // keepSubscribed subscribes on every CONNACK itself (mqtt.js skips it when the session is present).
    resubscribe: false,
  };
  let stopping = false;
  const isStopping = (): boolean => stopping;
  // Dead letters go out on their own connection: mqtt.js reads no packet (PUBACKs included) while a
  // message is being handled, so awaiting a publish on a consuming connection would deadlock.
  const dlqClient = await mqtt.connectAsync(options.mqttUrl, { ...baseOptions, clean: true, properties: undefined, clientId: `${options.clientId}-dlq` });
  dlqClient.on('error', (err) => logger.warn({ err: err.message }, 'dead-letter connection error; reconnecting'));
  const deadLetters = new DeadLetterPublisher(dlqClient, logger, { dir: path.join(options.stateDir, 'deadletter'), stopping: isStopping });
  const { handle, counters } = createMessageHandler({
    tenants: options.tenants,
    rules: options.rules,
    builder: options.builder,
    router: options.router,
    archive: options.archive,
    deadLetters,
    ledger: new AttemptLedger(path.join(options.stateDir, 'attempts'), logger),
    gate: new IsolationGate(),
    maxAttempts: Math.max(2, options.maxAttempts ?? 5),
    logger,
    stopping: isStopping,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  let acknowledged = 0;
  let reconnects = 0;
  dlqClient.on('reconnect', () => (reconnects += 1));

  // Each message is acknowledged after its hand-off (at-least-once), in order, with up to
  // `maxInFlight` messages being handled at once; beyond that reading pauses (back-pressure).
  const subscription = ingestSubscription(options.shareGroup);
  const count = options.shareGroup ? Math.max(1, options.connections ?? 1) : 1;
  const consumers: MqttClient[] = [];
  const subscribers: Subscriber[] = [];
  const windows: AckWindow[] = [];
  const stop = async (): Promise<void> => {
    stopping = true;
    await Promise.all([...consumers.map((c) => c.endAsync()), dlqClient.endAsync()]);
    await deadLetters.close();
  };
  try {
    for (let i = 0; i < count; i++) {
      // The handler is installed before the connection opens: a resumed session's unacknowledged messages
      // arrive right after CONNACK, and mqtt.js's default handler would acknowledge (and so lose) them.
      const client = mqtt.connect(options.mqttUrl, { ...baseOptions, clientId: count === 1 ? options.clientId : `${options.clientId}-${i}` });
      consumers.push(client);
      windows.push(
        handleWithOrderedAcks(client, handle, {
          maxInFlight,
          maxBytes: options.maxBytesPerConnection ?? DEFAULT_ACK_WINDOW_BYTES,
          logger,
          onAcknowledged: (waitMs) => {
            acknowledged += 1;
            options.metrics?.acknowledged(waitMs);
          },
          ...(options.metrics ? { onReadResumed: (ms: number) => options.metrics!.readResumed(ms) } : {}),
        }),
      );
      client.on('reconnect', () => (reconnects += 1));
      const subscriber = keepSubscribed(client, [subscription], logger);
      subscribers.push(subscriber);
      // A failure at start-up (connection refused, subscription not granted) is a configuration error to fix now.
      await new Promise<void>((resolve, reject) => {
        client.once('error', reject);
        void subscriber.first.then(resolve, reject).finally(() => client.removeListener('error', reject));
      });
      client.on('error', (err) => logger.warn({ err: err.message, clientId: client.options.clientId }, 'ingest connection error; reconnecting'));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  logger.info({ subscription, url: options.mqttUrl, connections: count }, 'ingest subscribed');

  return {
    get stats(): IngestStats {
      return {
        ...counters,
        acknowledged,
        deadLetters: { ...deadLetters.stats.byCode },
        deadLettersKept: deadLetters.stats.kept,
        subscribedConnections: subscribers.filter((s) => s.subscribed).length,
        unacknowledged: windows.reduce((sum, w) => sum + w.occupancy(), 0),
        ackWindowCapacity: maxInFlight * count,
        reconnects,
      };
    },
    stop,
  };
}
