/**
 * Batches a collector's events and publishes them as msgpack EventBatches with QoS 1.
 *
 * Through broker outages it keeps accepting events into a bounded in-memory buffer and publishes
 * them once the broker is back; when the buffer is full the oldest batch is dropped and counted
 * (`stats.droppedEvents`), never silently. A batch leaves the buffer only when the broker has
 * acknowledged it (PUBACK), so a publish that fails mid-outage is retried, not lost.
 */
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { RawEvent } from '../model/event';
import type { SourceKind } from '../model/source';
import { eventsTopic } from '../mqtt/topics';
import { encodeBatch } from '../mqtt/wire-codec';

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
}

export interface PublisherStats {
  publishedEvents: number;
  publishedBatches: number;
  droppedEvents: number;
  bufferedEvents: number;
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
  private idleWaiters: Array<() => void> = [];
  readonly stats: PublisherStats = { publishedEvents: 0, publishedBatches: 0, droppedEvents: 0, bufferedEvents: 0 };

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
    client.on('connect', () => this.pump());
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
    if (this.stats.bufferedEvents === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private seal(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.current.length === 0) return;
    this.queue.push(this.current);
    this.current = [];
    this.pump();
  }

  private enforceBound(): void {
    // Only batches not yet handed to the client can be dropped; in-flight ones are the client's to retry.
    while (this.stats.bufferedEvents > this.maxBufferedEvents && this.queue.length > this.inFlight) {
      const dropped = this.queue.splice(this.inFlight, 1)[0]!;
      this.stats.droppedEvents += dropped.length;
      this.stats.bufferedEvents -= dropped.length;
      this.logger.warn({ dropped: dropped.length, totalDropped: this.stats.droppedEvents, topic: this.topic }, 'collector buffer full: dropped oldest batch');
    }
  }

  private pump(): void {
    while (this.client.connected && this.inFlight < this.maxInFlight && this.inFlight < this.queue.length) {
      const batch = this.queue[this.inFlight]!;
      this.inFlight += 1;
      const payload = encodeBatch({ v: 1, collector: this.options.collector, events: batch });
      this.client.publish(this.topic, payload, { qos: 1 }, (err) => this.onPublished(batch, err));
    }
  }

  private onPublished(batch: RawEvent[], err: Error | undefined): void {
    this.inFlight -= 1;
    const index = this.queue.indexOf(batch);
    if (err) {
      // Keep it queued; it is resent on reconnect by pump().
      this.logger.warn({ err: err.message, topic: this.topic }, 'publish failed; will retry');
      // Invariant: queue[0, inFlight) are the batches awaiting PUBACK; put this one just after them.
      if (index >= 0) {
        this.queue.splice(index, 1);
        this.queue.splice(this.inFlight, 0, batch);
      }
      return;
    }
    if (index >= 0) this.queue.splice(index, 1);
    this.stats.publishedEvents += batch.length;
    this.stats.publishedBatches += 1;
    this.stats.bufferedEvents -= batch.length;
    this.pump();
    if (this.stats.bufferedEvents === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
