/**
 * Batches a collector's events and publishes them as msgpack EventBatches with QoS 1.
 *
 * Through broker outages it keeps accepting events into a bounded in-memory buffer and publishes
 * them once the broker is back; when the buffer is full the oldest batch is dropped and counted
 * (`stats.droppedEvents`), never silently. A batch leaves the buffer only when the broker has
 * acknowledged it (PUBACK), so a publish that fails mid-outage is retried, not lost.
 * With a `spill` queue, batches beyond the in-memory bound go to disk instead of being dropped
 * (**Invariant**: spilled batches are newer than every batch in memory, so reading them back
 * oldest first keeps publish order); only the spill's own size bound drops then.
 */
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { VigilError } from '../error-codes';
import type { RawEvent } from '../model/event';
import type { SourceKind } from '../model/source';
import { eventsTopic } from '../mqtt/topics';
import { encodeBatch } from '../mqtt/wire-codec';
import { isUnrouted, trackUnrouted } from './publisher-connection';
import type { SpillQueue } from './spill-queue';

/** Back-off while the broker drops batches for want of a subscriber (ingest not subscribed yet) or refuses them for now. */
const RETRY_MS = { first: 200, max: 5000 };
const UNROUTED = new Error('the broker has no subscriber for the topic (PUBACK 0x10): kept to publish again');
/**
 * MQTT 5 PUBACK reasons that no retry can change: the credentials may not publish on this tenant's topic (0x87 Not
 * authorized, as the generated broker ACLs answer a collector publishing for another tenant) or the topic itself is
 * refused (0x90). Retrying would hang the collector with its events buffered; it stops with VGL_COLLECT_PUBLISH_REFUSED.
 * Other negative reasons (quota, server busy) are retried after a pause.
 */
const REFUSED_FOR_GOOD: ReadonlyMap<number, string> = new Map([
  [0x87, 'Not authorized'],
  [0x90, 'Topic Name invalid'],
]);

export interface BatchPublisherOptions {
  tenant: string;
  source: SourceKind;
  collector: string;
  /** Flush when this many events are waiting. */
  maxBatchEvents?: number;
  /** Flush at most this long after the first waiting event. */
  maxBatchDelayMs?: number;
  /** Bound on events held (waiting + unacknowledged); beyond it the oldest batch is dropped. */
  maxBufferedEvents?: number;
  /** Publishes awaiting PUBACK at once; more in flight hides the broker round trip. */
  maxInFlight?: number;
  /** Overflow to disk instead of dropping when `maxBufferedEvents` is reached. */
  spill?: SpillQueue;
  /** Called once when the broker refuses this collector's publishes for good (REFUSED_FOR_GOOD); nothing is sent after. */
  onRefused?: (error: VigilError) => void;
  /** Called per acknowledged batch with its events and the time from its (last) send to its PUBACK (`vigil loadgen`). */
  onAcknowledged?: (events: number, pubackMs: number) => void;
}

export interface PublisherStats {
  publishedEvents: number;
  publishedBatches: number;
  droppedEvents: number;
  /** Events not yet acknowledged, in memory or spilled to disk. */
  bufferedEvents: number;
  /** Events written to the spill directory (cumulative). */
  spilledEvents: number;
  /** Batches the broker acknowledged but dropped for want of a subscriber, and that were kept to publish again (MQTT 5). */
  unroutedBatches: number;
  /** Publishes that failed (connection lost before PUBACK, broker refusal) and were kept to publish again. */
  failedPublishes: number;
  /** Reconnections of the publishing MQTT connection. */
  reconnects: number;
}

export class BatchPublisher {
  private readonly topic: string;
  private readonly maxBatchEvents: number;
  private readonly maxBatchDelayMs: number;
  private readonly maxBufferedEvents: number;
  private readonly maxInFlight: number;
  private current: RawEvent[] = [];
  /** Sealed batches not yet acknowledged, oldest first. */
  private readonly queue: RawEvent[][] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<{ resolve: () => void; reject: (error: VigilError) => void }> = [];
  /** Set while publishing is paused after an unrouted or refused batch. */
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = RETRY_MS.first;
  /** Set once the broker refused a publish for good: publishing stops and flush() rejects with it. */
  private refusal: VigilError | undefined;
  /** Batches read back from the spill, and how to delete their file once acknowledged. */
  private readonly spillLeases = new Map<RawEvent[], () => void>();
  /** When each batch in flight was (last) sent. */
  private readonly sentAt = new WeakMap<RawEvent[], number>();
  readonly stats: PublisherStats = { publishedEvents: 0, publishedBatches: 0, droppedEvents: 0, bufferedEvents: 0, spilledEvents: 0, unroutedBatches: 0, failedPublishes: 0, reconnects: 0 };

  constructor(
    private readonly client: MqttClient,
    private readonly options: BatchPublisherOptions,
    private readonly logger: Logger,
  ) {
    this.topic = eventsTopic(options.tenant, options.source);
    this.maxBatchEvents = options.maxBatchEvents ?? 500;
    this.maxBatchDelayMs = options.maxBatchDelayMs ?? 200;
    this.maxBufferedEvents = options.maxBufferedEvents ?? 100_000;
    this.maxInFlight = options.maxInFlight ?? 8;
    trackUnrouted(client);
    client.on('connect', () => this.pump());
    client.on('reconnect', () => (this.stats.reconnects += 1));
    if (options.spill && !options.spill.isEmpty) {
      this.stats.bufferedEvents += options.spill.events; // left over from a previous run
      this.pump(); // the client may be connected already: no 'connect' event will come
    }
  }

  add(event: RawEvent): void {
    this.current.push(event);
    this.stats.bufferedEvents += 1;
    if (this.current.length >= this.maxBatchEvents) this.seal();
    else if (!this.timer) this.timer = setTimeout(() => this.seal(), this.maxBatchDelayMs);
    this.enforceBound();
  }

  /** Seals what is waiting and resolves when every buffered event has been acknowledged by the broker. */
  async flush(): Promise<void> {
    this.seal();
    if (this.refusal) throw this.refusal;
    if (this.stats.bufferedEvents === 0) return;
    await new Promise<void>((resolve, reject) => this.idleWaiters.push({ resolve, reject }));
  }

  private seal(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.current.length === 0) return;
    const spill = this.options.spill;
    if (spill && (!spill.isEmpty || this.memoryEvents() > this.maxBufferedEvents)) this.spillBatch(spill, this.current);
    else this.queue.push(this.current);
    this.current = [];
    this.pump();
  }

  /** Events held in memory: waiting, queued and in flight (spilled ones are on disk). */
  private memoryEvents(): number {
    return this.stats.bufferedEvents - (this.options.spill?.events ?? 0);
  }

  private spillBatch(spill: SpillQueue, batch: RawEvent[]): void {
    this.stats.spilledEvents += batch.length;
    this.discard(spill.push(batch));
  }

  /** Counts events lost for good (spill bound, unreadable spill file). */
  private discard(events: number): void {
    this.stats.droppedEvents += events;
    this.stats.bufferedEvents -= events;
  }

  /** Moves spilled batches back into memory, oldest first, while they fit (or memory is empty). */
  private refill(spill: SpillQueue): void {
    while (!spill.isEmpty && (this.queue.length === 0 || this.memoryEvents() + spill.peekEvents()! <= this.maxBufferedEvents)) {
      const read = spill.shift();
      if ('lost' in read) {
        this.discard(read.lost);
        continue;
      }
      this.queue.push(read.batch);
      this.spillLeases.set(read.batch, read.release);
    }
  }

  private enforceBound(): void {
    if (this.options.spill) {
      // Spilling happens at seal time; seal early rather than hold more than the bound in memory.
      if (this.memoryEvents() > this.maxBufferedEvents) this.seal();
      return;
    }
    // Only batches not yet handed to the client can be dropped; in-flight ones are the client's to retry.
    while (this.stats.bufferedEvents > this.maxBufferedEvents && this.queue.length > this.inFlight) {
      const dropped = this.queue.splice(this.inFlight, 1)[0]!;
      this.stats.droppedEvents += dropped.length;
      this.stats.bufferedEvents -= dropped.length;
      this.logger.warn({ dropped: dropped.length, totalDropped: this.stats.droppedEvents, topic: this.topic }, 'collector buffer full: dropped oldest batch');
    }
  }

  private pump(): void {
    if (this.options.spill) this.refill(this.options.spill);
    if (this.retryTimer || this.refusal) return;
    while (this.client.connected && this.inFlight < this.maxInFlight && this.inFlight < this.queue.length) {
      const batch = this.queue[this.inFlight]!;
      this.inFlight += 1;
      // sentAt: when this (re)send left, so ingest measures the publish → ingest stage (src/metrics).
      const sentAt = Date.now();
      this.sentAt.set(batch, sentAt);
      const payload = encodeBatch({ v: 1, collector: this.options.collector, tenant: this.options.tenant, sentAt, events: batch });
      this.client.publish(this.topic, payload, { qos: 1 }, (err, packet) => this.onPublished(batch, err ?? (isUnrouted(this.client, packet) ? UNROUTED : undefined)));
    }
  }

  private onPublished(batch: RawEvent[], err: Error | undefined): void {
    this.inFlight -= 1;
    const index = this.queue.indexOf(batch);
    if (err) {
      const code = (err as { code?: unknown }).code;
      const refused = typeof code === 'number' ? REFUSED_FOR_GOOD.get(code) : undefined;
      if (refused !== undefined) {
        this.refuse(code as number, refused);
        return;
      }
      // Keep it queued; it is resent on reconnect by pump(), or after a pause.
      if (err !== UNROUTED) {
        this.stats.failedPublishes += 1;
        this.logger.warn({ err: err.message, topic: this.topic }, 'publish failed; will retry');
      }
      // Invariant: queue[0, inFlight) are the batches awaiting PUBACK; put this one just after them.
      if (index >= 0) {
        this.queue.splice(index, 1);
        this.queue.splice(this.inFlight, 0, batch);
      }
      this.pauseBeforeRetry(err);
      return;
    }
    this.retryDelayMs = RETRY_MS.first;
    if (index >= 0) this.queue.splice(index, 1);
    this.spillLeases.get(batch)?.();
    this.spillLeases.delete(batch);
    this.stats.publishedEvents += batch.length;
    this.stats.publishedBatches += 1;
    this.stats.bufferedEvents -= batch.length;
    this.options.onAcknowledged?.(batch.length, Date.now() - this.sentAt.get(batch)!);
    this.pump();
    if (this.stats.bufferedEvents === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w.resolve();
    }
  }

  /**
   * The broker did not take the batch (no subscriber, or a negative PUBACK): wait (growing pauses) and publish
   * again, instead of resending at once in a loop or, on a connection that stays up, never (reconnects also pump).
   */
  private pauseBeforeRetry(err: Error): void {
    if (err === UNROUTED) this.stats.unroutedBatches += 1;
    if (this.retryTimer) return;
    if (err === UNROUTED) this.logger.warn({ topic: this.topic, retryInMs: this.retryDelayMs, unroutedBatches: this.stats.unroutedBatches }, UNROUTED.message);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, this.retryDelayMs);
    this.retryDelayMs = Math.min(RETRY_MS.max, this.retryDelayMs * 2);
  }

  private refuse(code: number, reason: string): void {
    if (this.refusal) return;
    const hex = `0x${code.toString(16)}`;
    this.refusal = new VigilError(
      'VGL_COLLECT_PUBLISH_REFUSED',
      `the broker refused to let this collector publish to ${this.topic} (PUBACK ${hex} ${reason}); ${this.stats.bufferedEvents} events not published. Check that the broker credentials (MQTT_USERNAME) belong to tenant '${this.options.tenant}'`,
      { field: 'MQTT_USERNAME' },
    );
    this.logger.error({ code: 'VGL_COLLECT_PUBLISH_REFUSED', topic: this.topic, reason: hex }, 'broker refused publishing: collector stops');
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w.reject(this.refusal);
    this.options.onRefused?.(this.refusal);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }
}
