/**
 * The broker connection of everything that publishes events (collectors, scenario replay, the demo).
 *
 * MQTT 5, because only its PUBACK can say "no matching subscribers" (reason 0x10): the broker took
 * the message and dropped it. That happens for real: Mosquitto restores ingest's session after a
 * restart without its `$share/...` subscription, and until ingest has subscribed again every event
 * published is acknowledged and lost. `isUnrouted` lets BatchPublisher keep such a batch and send it
 * again. Brokers without MQTT 5 (the in-process one) refuse the CONNECT; the connection then falls
 * back to MQTT 3.1.1, where that case cannot be seen (and that broker has no shared subscriptions).
 */
import mqtt, { type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import type { Logger } from 'pino';

/** MQTT 5 PUBACK reason code "No matching subscribers". */
const NO_MATCHING_SUBSCRIBERS = 0x10;
/** CONNACK codes for "this protocol version is not supported": MQTT 3.1.1 return code 1, MQTT 5 reason 0x84. */
const UNSUPPORTED_PROTOCOL = new Set([1, 0x84]);

/** Per connection: message ids whose latest PUBACK said no subscriber matched. */
const unrouted = new WeakMap<MqttClient, Set<number>>();

/** Connects (not awaiting CONNACK: a collector buffers while the broker is unreachable). */
export function connectPublisher(url: string, options: IClientOptions, logger: Logger): MqttClient {
  // reconnectOnConnackError: mqtt.js otherwise stops reconnecting after any refused CONNACK.
  const client = mqtt.connect(url, { ...options, protocolVersion: 5, reconnectOnConnackError: true });
  client.on('error', (err) => {
    const code = (err as { code?: unknown }).code;
    if (client.options.protocolVersion === 5 && typeof code === 'number' && UNSUPPORTED_PROTOCOL.has(code)) {
      logger.info({ url }, 'broker has no MQTT 5: publishing with MQTT 3.1.1');
      client.options.protocolVersion = 4; // the next reconnect's CONNECT is built from these options
    }
  });
  trackUnrouted(client);
  return client;
}

/**
 * connectPublisher for one-shot publishers (scenario replay, the demo): resolves on the first CONNACK and fails
 * on the first error other than the MQTT 5 → 3.1.1 fallback (wrong password, broker unreachable), ending the client.
 */
export async function connectPublisherNow(url: string, options: IClientOptions, logger: Logger): Promise<MqttClient> {
  const client = connectPublisher(url, options, logger);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      // The fallback's own refusal (connectPublisher's listener, registered first, has switched to 3.1.1 already).
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number' && UNSUPPORTED_PROTOCOL.has(code)) return;
      client.off('connect', onConnect);
      client.off('error', onError);
      client.end(true);
      reject(err);
    };
    const onConnect = (): void => {
      client.off('error', onError);
      resolve();
    };
    client.once('connect', onConnect);
    client.on('error', onError);
  });
  return client;
}

/** Starts reading PUBACK reason codes on this connection (idempotent); call before publishing. */
export function trackUnrouted(client: MqttClient): void {
  if (unrouted.has(client)) return;
  const created = new Set<number>();
  unrouted.set(client, created);
  // 'packetreceive' is emitted before mqtt.js handles the PUBACK and calls the publish callback, and
  // every PUBACK overwrites its id's entry, so an id reused later never inherits a stale verdict.
  client.on('packetreceive', (packet: Packet) => {
    if (packet.cmd !== 'puback' || packet.messageId === undefined) return;
    if (packet.reasonCode === NO_MATCHING_SUBSCRIBERS) created.add(packet.messageId);
    else created.delete(packet.messageId);
  });
}

/**
 * For a QoS 1 publish callback's packet: did the broker drop the message for want of a subscriber?
 * (mqtt.js reports PUBACK 0x10 as success.)
 */
export function isUnrouted(client: MqttClient, published: Packet | undefined): boolean {
  const id = published?.messageId;
  return id !== undefined && unrouted.get(client)?.delete(id) === true;
}
