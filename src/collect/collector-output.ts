/**
 * Where every collector hands its records: stamps each with its own id and time, applies the edge
 * rules (if any), and queues it on the BatchPublisher. One output per source, since a batch's topic
 * names its source.
 */
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { VigilError } from '../error-codes';
import type { SourceKind } from '../model/source';
import { BatchPublisher, type BatchPublisherOptions } from './batch-publisher';
import type { EdgeFilter } from './edge-filter';
import { eventIdOf, eventTimeOf } from './event-time';
import type { RecordSink } from './record-sink';

/** Issues kept for the end-of-run report; the rest are only counted (and logged). */
const KEPT_ISSUES = 20;

export interface CollectorOutputOptions extends Omit<BatchPublisherOptions, 'source'> {
  source: SourceKind;
  /** Publish only events matching these rules (decentralised detection). */
  edge?: EdgeFilter;
}

export interface CollectorCounts {
  /** Events queued for publishing. */
  accepted: number;
  /** Events that matched no edge rule and were not published. */
  filtered: number;
  /** Input records that were not events of the source (garbled lines, wrong shape). */
  malformed: number;
  published: number;
  /** Events dropped because the publisher's buffer (and spill) was full during a broker outage. */
  dropped: number;
  buffered: number;
  /** Events written to the spill directory during outages. */
  spilled: number;
  /** Batches published again: after a failed publish, or after the broker dropped them for want of a subscriber. */
  retriedBatches: number;
  /** Reconnections of the publishing MQTT connection. */
  reconnects: number;
}

export class CollectorOutput implements RecordSink {
  readonly source: SourceKind;
  /** The first malformed-input issues, with their file:line. */
  readonly issues: VigilError[] = [];
  private readonly publisher: BatchPublisher;
  private readonly maxBufferedEvents: number;
  private accepted = 0;
  private filtered = 0;
  private malformed = 0;

  constructor(
    client: MqttClient,
    private readonly options: CollectorOutputOptions,
    private readonly logger: Logger,
  ) {
    this.source = options.source;
    this.maxBufferedEvents = options.maxBufferedEvents ?? 100_000;
    this.publisher = new BatchPublisher(client, { ...options, maxBufferedEvents: this.maxBufferedEvents }, logger);
  }

  /**
   * Queues one record. `collectedAt` is the event time for records that carry none of their own.
   * Returns false when an edge rule set is active and the record matched none of its rules.
   */
  emit(data: Record<string, unknown>, collectedAt: number = Date.now()): boolean {
    if (this.options.edge && !this.options.edge.keeps(data)) {
      this.filtered += 1;
      return false;
    }
    this.accepted += 1;
    this.publisher.add({ id: eventIdOf(this.source, data), time: eventTimeOf(this.source, data, collectedAt), data });
    return true;
  }

  record(data: Record<string, unknown>): void {
    this.emit(data);
  }

  issue(error: VigilError): void {
    this.malformed += 1;
    if (this.issues.length < KEPT_ISSUES) this.issues.push(error);
    // Every issue is counted; a garbled file must not flood the log, so after the first few only every 1000th is logged.
    if (this.malformed <= KEPT_ISSUES || this.malformed % 1000 === 0) {
      this.logger.warn({ code: error.code, location: error.location, malformed: this.malformed }, error.message);
    }
  }

  /** Whether `n` more events fit in the buffer (or its spill) without dropping older ones: push back on senders that can retry. */
  hasRoomFor(n: number): boolean {
    if (this.options.spill) return !this.options.spill.nearlyFull;
    const buffered = this.publisher.stats.bufferedEvents;
    // An empty buffer takes any batch, or one larger than the bound would be refused forever.
    return buffered === 0 || buffered + n <= this.maxBufferedEvents;
  }

  /** Resolves once the broker has acknowledged every queued event. */
  flush(): Promise<void> {
    return this.publisher.flush();
  }

  counts(): CollectorCounts {
    const s = this.publisher.stats;
    return { accepted: this.accepted, filtered: this.filtered, malformed: this.malformed, published: s.publishedEvents, dropped: s.droppedEvents, buffered: s.bufferedEvents, spilled: s.spilledEvents, retriedBatches: s.failedPublishes + s.unroutedBatches, reconnects: s.reconnects };
  }

  close(): void {
    this.publisher.close();
  }
}
