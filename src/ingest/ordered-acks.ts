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
 * Why not acknowledge per entity stream: MQTT 5 requires a client to send PUBACKs in the order the PUBLISH packets
 * arrived on the connection ([MQTT-4.6.0-2]), and one message carries events of many entities. So a message whose
 * hand-off is slow holds the PUBACKs after it (`onAcknowledged` reports that wait); this costs event latency only when
 * the window fills and reading pauses (`onReadResumed`), so the window is large and advertised to the broker as the
 * Receive Maximum (ingest-service.ts): a slow hand-off then delays acknowledgements, not the hand-off of later messages.
 *
 * **Invariant**: a PUBACK is sent only for a message received on the current connection; after a
 * reconnect, messages of the old one are redelivered by the broker (persistent session) and handled again
 * (correlators de-duplicate), never acknowledged with an id the new session may have reused.
 * **Invariant** (the caller's): `handle` settles for every message and rejects only while stopping; a
 * message whose handling never settles would hold every later PUBACK of its connection.
 */
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from 'pino';

/**
 * The default window per connection (VIGIL_INGEST_WINDOW, VIGIL_INGEST_WINDOW_BYTES). Why (figures in the README's
 * ingest section): reading pauses when a window is full, and a paused connection delays every event behind it. The
 * former 32 messages, in practice 20 on Mosquitto (its `max_inflight_messages` default, as the connection advertised no
 * Receive Maximum), paused a single connection for a median 10-34 s per 10 s run (and its drain) at 200 and 1,000
 * events/s. Occupancy is messages/s × hand-off time (a publisher sends a message per 200 ms, `vigil loadgen`'s
 * per 20 ms, whatever its rate): 1,000 messages leave room for a 20 s hand-off at 50 messages/s per connection.
 * Memory is bounded by bytes (payloads held until acknowledged; 16 MiB is 200 batches of 500 of the demo's process
 * events, 77 KB each), which also bounds what a crash redelivers.
 */
export const DEFAULT_ACK_WINDOW = 1000;
export const DEFAULT_ACK_WINDOW_BYTES = 16 * 1024 * 1024;

const SKIP_MQTT_ACK = Object.assign(new Error('acknowledged by ordered-acks'), { vigilSkipAck: true });

interface InFlight {
  messageId?: number;
  /** Payload bytes it holds in memory until acknowledged. */
  bytes: number;
  done: boolean;
  /** When its hand-off finished (epoch ms): from then on it waits only for earlier messages (head-of-line). */
  doneAt: number;
}

type SendPacket = (packet: { cmd: 'puback'; messageId: number; reasonCode?: number }, cb?: (err?: Error) => void) => void;

export interface AckWindow {
  /** Messages received on the current connection and not yet acknowledged. */
  occupancy(): number;
}

export interface AckWindowOptions {
  /** Messages handled at once; at this many unacknowledged, reading pauses until the oldest is acknowledged. */
  maxInFlight: number;
  /**
   * Payload bytes held at once: reading pauses once the unacknowledged messages hold this many, so the budget is
   * exceeded by at most the message read last (a message larger than it is handled, then alone).
   */
  maxBytes: number;
  logger: Logger;
  /** A PUBACK was sent, `waitMs` after the message's own hand-off finished (the time it waited for earlier ones). */
  onAcknowledged?: (waitMs: number) => void;
  /** Reading resumed after it had paused `pausedMs` because the window was full. */
  onReadResumed?: (pausedMs: number) => void;
}

export function handleWithOrderedAcks(client: MqttClient, handle: (packet: IPublishPacket) => Promise<void>, options: AckWindowOptions): AckWindow {
  let window: InFlight[] = [];
  let windowBytes = 0;
  let held: Array<() => void> = [];
  /** When reading paused (the first callback was held), while it is paused. */
  let pausedAt: number | undefined;
  const sendPacket = (client as unknown as { _sendPacket: SendPacket })._sendPacket.bind(client);

  const hasRoom = (): boolean => window.length < options.maxInFlight && windowBytes < options.maxBytes;

  const resumeReading = (): void => {
    if (pausedAt === undefined) return;
    options.onReadResumed?.(Date.now() - pausedAt);
    pausedAt = undefined;
  };

  const release = (): void => {
    const now = Date.now();
    while (window.length > 0 && window[0]!.done) {
      const head = window.shift()!;
      windowBytes -= head.bytes;
      if (head.messageId === undefined) continue;
      sendPacket({ cmd: 'puback', messageId: head.messageId, reasonCode: 0 });
      options.onAcknowledged?.(now - head.doneAt);
    }
    // Back-pressure: mqtt.js reads the next packet only when a held callback runs.
    while (held.length > 0 && hasRoom()) held.shift()!();
    if (held.length === 0) resumeReading();
  };

  client.on('close', () => {
    // The broker redelivers whatever was not acknowledged; drop the old connection's window.
    window = [];
    windowBytes = 0;
    const callbacks = held;
    held = [];
    for (const cb of callbacks) cb();
    resumeReading();
  });

  client.handleMessage = (packet, callback) => {
    const publish = packet as IPublishPacket;
    const entry: InFlight = { messageId: publish.qos > 0 ? publish.messageId : undefined, bytes: publish.payload.length, done: false, doneAt: 0 };
    const current = window;
    current.push(entry);
    windowBytes += entry.bytes;
    handle(publish).then(
      () => {
        entry.done = true;
        entry.doneAt = Date.now();
        if (current === window) release();
      },
      (err: unknown) => {
        // `handle` rejects only while ingest stops: left unacknowledged, the broker redelivers it (and
        // every later message of this connection) to the next ingest.
        options.logger.warn({ err: (err as Error).message, topic: publish.topic }, 'ingest stopping: message left unacknowledged');
      },
    );
    const proceed = (): void => callback(SKIP_MQTT_ACK);
    if (hasRoom()) proceed();
    else {
      pausedAt ??= Date.now();
      held.push(proceed);
    }
  };
  return { occupancy: () => window.length };
}
