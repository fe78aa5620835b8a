/**
 * Ingest's subscriptions, made again on every CONNACK whether or not the broker says the session is
 * present. Why: Mosquitto 2.0 restores a persistent session after a restart with its plain
 * subscriptions but without its `$share/...` ones, and still answers sessionPresent=true; mqtt.js
 * resubscribes only when the session is absent, so ingest stayed connected and deaf. Subscribing again
 * is harmless: a broker replaces an identical subscription without losing messages (MQTT 5 §3.8.4).
 *
 * Every SUBACK is checked: a refusal (reason code ≥ 0x80) or a grant below QoS 1 (which would void
 * at-least-once) is logged as VGL_INGEST_SUBSCRIBE and retried with back-off while connected.
 */
import { ErrorWithSubackPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { VigilError } from '../error-codes';

export interface Subscriber {
  /** Settles at the first SUBACK: resolves if every subscription was granted at QoS 1, else rejects (VGL_INGEST_SUBSCRIBE). */
  readonly first: Promise<void>;
  /** Every subscription granted on the current connection. */
  readonly subscribed: boolean;
}

const RETRY_MS = { first: 1000, max: 60_000 };

/** The SUBACK codes (granted QoS or MQTT 5 reason) that do not grant QoS 1 or better, as `topic: code` strings. */
function refusals(topics: readonly string[], granted: readonly unknown[]): string[] {
  return topics.flatMap((topic, i) => {
    const code = granted[i];
    return typeof code !== 'number' || code >= 0x80 || code < 1 ? [`${topic}: ${typeof code === 'number' ? `0x${code.toString(16)}` : 'no reason code'}`] : [];
  });
}

/** Call before the client's first CONNACK can arrive (right after `mqtt.connect`). The client must have `resubscribe: false`. */
export function keepSubscribed(client: MqttClient, topics: readonly string[], logger: Logger): Subscriber {
  let subscribed = false;
  let settleFirst: ((err?: Error) => void) | undefined;
  const first = new Promise<void>((resolve, reject) => {
    settleFirst = (err) => (err ? reject(err) : resolve());
  });
  first.catch(() => undefined); // a caller that stopped waiting must not see an unhandled rejection
  let retry: NodeJS.Timeout | undefined;
  let delay = RETRY_MS.first;
  // A SUBACK that arrives after its connection closed must not count for the next one.
  let connection = 0;

  const attempt = (): void => {
    const current = connection;
    client.subscribeAsync([...topics], { qos: 1 }).then(
      (grants) => settle(current, refusals(topics, grants.map((g) => g.qos))),
      (err: unknown) => {
        // mqtt.js also rejects with ErrorWithSubackPacket and no packet (e.g. the connection closed mid-subscribe).
        const granted = err instanceof ErrorWithSubackPacket ? (err.packet as { granted?: unknown[] } | undefined)?.granted : undefined;
        const refused = granted ? refusals(topics, granted) : [];
        settle(current, refused.length > 0 ? refused : [`${topics.join(', ')}: ${(err as Error).message}`]);
      },
    );
  };

  const settle = (forConnection: number, refused: string[]): void => {
    if (forConnection !== connection || !client.connected) return;
    if (refused.length === 0) {
      subscribed = true;
      delay = RETRY_MS.first;
      settleFirst?.();
      settleFirst = undefined;
      logger.debug({ topics }, 'subscribed');
      return;
    }
    const error = new VigilError('VGL_INGEST_SUBSCRIBE', `the broker did not grant QoS 1 on ${refused.join('; ')}`);
    logger.error({ code: error.code, refused, retryInMs: delay }, error.message);
    settleFirst?.(error);
    settleFirst = undefined;
    retry = setTimeout(attempt, delay);
    delay = Math.min(RETRY_MS.max, delay * 2);
  };

  client.on('connect', () => {
    connection += 1;
    subscribed = false;
    clearTimeout(retry);
    attempt();
  });
  client.on('close', () => {
    connection += 1;
    subscribed = false;
    clearTimeout(retry);
  });
  return {
    first,
    get subscribed() {
      return subscribed;
    },
  };
}
