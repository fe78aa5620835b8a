/**
 * Several messages in flight on one MQTT connection, each QoS 1 message still acknowledged only after
 * its hand-off and in the order received (MQTT requires PUBACKs in order).
 *
 * Why: mqtt.js sends the PUBACK from handleMessage's callback and reads no further packet until that
 * callback runs, so acknowledging after a Temporal round trip would allow one message in flight per
 * connection (~100 events/s). Here the callback is called at once with a marker error, which makes
 * mqtt.js skip its own PUBACK and read on (mqtt/lib/handlers/publish.ts: `if (err) return done(err)`), and
 * the PUBACK is sent by us when the message and every earlier one are done. Relies on mqtt.js's
 * `_sendPacket`, pinned by the mqtt version in package.json and covered by test/ingest/ingest.test.ts.
 *
 * **Invariant**: a PUBACK is sent only for a message received on the current connection; after a
 * reconnect, messages of the old one are redelivered by the broker (persistent session) and handled again
 * (correlators de-duplicate), never acknowledged with an id the new session may have reused.
 * **Invariant** (the caller's): `handle` settles for every message and rejects only while stopping; a
 * message whose handling never settles would hold every later PUBACK of its connection.
 */
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from 'pino';

const SKIP_MQTT_ACK = Object.assign(new Error('acknowledged by ordered-acks'), { vigilSkipAck: true });

interface InFlight {
  messageId?: number;
  done: boolean;
}

type SendPacket = (packet: { cmd: 'puback'; messageId: number; reasonCode?: number }, cb?: (err?: Error) => void) => void;

export interface AckWindow {
  /** Messages received on the current connection and not yet acknowledged (at most maxInFlight, plus held ones). */
  occupancy(): number;
}

export function handleWithOrderedAcks(
  client: MqttClient,
  handle: (packet: IPublishPacket) => Promise<void>,
  options: { maxInFlight: number; logger: Logger; onAcknowledged?: () => void },
): AckWindow {
  let window: InFlight[] = [];
  let held: Array<() => void> = [];
  const sendPacket = (client as unknown as { _sendPacket: SendPacket })._sendPacket.bind(client);

  const release = (): void => {
    while (window.length > 0 && window[0]!.done) {
      const head = window.shift()!;
      if (head.messageId === undefined) continue;
      sendPacket({ cmd: 'puback', messageId: head.messageId, reasonCode: 0 });
      options.onAcknowledged?.();
    }
    // Back-pressure: mqtt.js reads the next packet only when a held callback runs.
    while (held.length > 0 && window.length < options.maxInFlight) held.shift()!();
  };

  client.on('close', () => {
    // The broker redelivers whatever was not acknowledged; drop the old connection's window.
    window = [];
    const callbacks = held;
    held = [];
    for (const cb of callbacks) cb();
  });

  client.handleMessage = (packet, callback) => {
    const publish = packet as IPublishPacket;
    const entry: InFlight = { messageId: publish.qos > 0 ? publish.messageId : undefined, done: false };
    const current = window;
    current.push(entry);
    handle(publish).then(
      () => {
        entry.done = true;
        if (current === window) release();
      },
      (err: unknown) => {
        // `handle` rejects only while ingest stops: left unacknowledged, the broker redelivers it (and
        // every later message of this connection) to the next ingest.
        options.logger.warn({ err: (err as Error).message, topic: publish.topic }, 'ingest stopping: message left unacknowledged');
      },
    );
    const proceed = (): void => callback(SKIP_MQTT_ACK);
    if (current.length < options.maxInFlight) proceed();
    else held.push(proceed);
  };
  return { occupancy: () => window.length };
}
