/**
 * Routes detections to entity correlators: buffers them per (tenant, entity) so detections from several
 * MQTT messages share one signal, and delivers each buffer with one signal-with-start to
 * `entity:{tenant}:{type}:{id}` on the tenant's task queue. `route()` resolves only when Temporal has
 * accepted every signal carrying its detections, so the caller can acknowledge the MQTT message
 * (at-least-once). Redelivered detections are harmless: correlators ignore (event, rule) pairs they have
 * seen, and a batch id (a hash of its event ids) they have seen.
 *
 * Batching is adaptive: a buffer is released `maxDelayMs` after its first detection (or at once when it
 * holds `maxDetectionsPerSignal` / `maxSignalBytes`), but a correlator has at most one signal in flight, so
 * while Temporal is slow its detections pile up into larger signals. **Invariant**: per correlator,
 * signals are sent in arrival order, one at a time. At most `concurrency` signals are in flight overall;
 * `route()` callers wait for theirs, which is the back-pressure that stops MQTT reads when Temporal lags.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Detection } from '../model/detection';
import type { EntityRef } from '../model/entity';
import type { IngestMetrics, StageTimes } from '../metrics/ingest-metrics';
import { payloadSizeBound } from '../temporal/payload-size';
import { EntityId, EntityType, TenantId } from '../temporal/search-attributes';
import { correlatorWorkflowId, tenantTaskQueue } from '../temporal/workflow-ids';
import type { correlatorWorkflow } from '../../workflows/correlator/correlator';
import { detectionBatchSignal, type DetectionBatch } from '../contracts/correlator/messages';
import { correlatorSummary, defaultUiBaseUrl } from '../contracts/correlator/ui-link';

export interface RouterOptions {
  /** Wait this long for more detections for the same entity before signalling (0 = signal per route() call). */
  maxDelayMs?: number;
  /**
   * Detections per signal (default 500). The correlator applies at most this many per workflow task
   * (workflows/correlator/task-budget.ts), so one signal is one task's work.
   */
  maxDetectionsPerSignal?: number;
  /**
   * Payload bytes per signal (default 256 KiB), an upper bound of the real msgpack payload (payload-size.ts):
   * Temporal refuses a payload over 2 MiB and warns over 512 KiB. A single detection larger than this is sent alone.
   */
  maxSignalBytes?: number;
  /** Signals in flight at once. */
  concurrency?: number;
  /** Temporal Web UI base URL that alerts link to (default `http://localhost:8233`); the namespace is the client's. */
  uiBaseUrl?: string;
  /** Signals by outcome, detections per signal, ingest → route → accepted latencies; absent = not measured. */
  metrics?: IngestMetrics;
}

export interface RouterStats {
  signals: number;
  detections: number;
  failedSignals: number;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
  /** Entries of this route() call not yet accepted by Temporal. */
  remaining: number;
  failed?: unknown;
}

/** One detection placed for one correlator, with the route() call waiting for it. */
interface Entry {
  detection: Detection;
  waiter: Waiter;
  bytes: number;
  /** When its message was published and received, for the stage latencies. */
  times?: StageTimes;
}

interface Buffer {
  tenant: string;
  entity: EntityRef;
  entries: Entry[];
  bytes: number;
  /** In the send queue (waiting for a concurrency slot). */
  queued: boolean;
  timer?: NodeJS.Timeout;
}

/**
 * Bytes of a signal's payload besides its detections: the batch map, its two keys, a 32-char batch id and the
 * detections array header (payload-size.ts bounds: 1 + 8 + 34 + 11 + 5).
 */
const SIGNAL_OVERHEAD_BYTES = 64;

export class EntityRouter {
  readonly stats: RouterStats = { signals: 0, detections: 0, failedSignals: 0 };
  /** Detections waiting per correlator (not yet in a signal). */
  private readonly buffers = new Map<string, Buffer>();
  /** Correlators with a signal in flight: their next signal waits for it (one in flight per entity). */
  private readonly inFlightEntities = new Set<string>();
  private readonly maxDelayMs: number;
  private readonly maxPerSignal: number;
  private readonly maxBytes: number;
  private readonly concurrency: number;
  private readonly uiBaseUrl: string;
  private readonly metrics: IngestMetrics | undefined;
  private inFlight = 0;
  private readonly queue: string[] = [];

  constructor(
    private readonly client: Client,
    private readonly logger: Logger,
    options: RouterOptions = {},
  ) {
    this.maxDelayMs = options.maxDelayMs ?? 10;
    this.maxPerSignal = options.maxDetectionsPerSignal ?? 500;
    this.maxBytes = options.maxSignalBytes ?? 256 * 1024;
    this.concurrency = options.concurrency ?? 64;
    this.uiBaseUrl = options.uiBaseUrl ?? defaultUiBaseUrl;
    this.metrics = options.metrics;
  }

  /**
   * Resolves when every detection has been accepted by Temporal (in one or more signals); rejects if any signal failed.
   * `times` (when the detections' message was published and received) feeds the stage latencies.
   */
  route(tenant: string, detections: Detection[], times?: StageTimes): Promise<void> {
    if (detections.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, remaining: 0 };
      const touched = new Set<string>();
      for (const d of detections) {
        const bytes = payloadSizeBound(d);
        for (const entity of d.entities) {
          const key = correlatorWorkflowId(tenant, entity);
          let buffer = this.buffers.get(key);
          if (!buffer) this.buffers.set(key, (buffer = { tenant, entity, entries: [], bytes: 0, queued: false }));
          buffer.entries.push({ detection: d, waiter, bytes, times });
          buffer.bytes += bytes;
          waiter.remaining += 1;
          touched.add(key);
        }
      }
      if (waiter.remaining === 0) return resolve();
      for (const key of touched) {
        const buffer = this.buffers.get(key)!;
        const full = buffer.entries.length >= this.maxPerSignal || buffer.bytes >= this.maxBytes;
        if (full || this.maxDelayMs === 0) this.release(key);
        else buffer.timer ??= setTimeout(() => this.release(key), this.maxDelayMs);
      }
    });
  }

  /**
   * Makes a correlator's buffer eligible to be signalled. Adaptive batching: while a correlator has a
   * signal in flight its new detections keep accumulating, so batches grow by themselves exactly when
   * Temporal is the bottleneck, and stay small (low latency) when it is not.
   */
  private release(key: string): void {
    const buffer = this.buffers.get(key);
    if (!buffer || buffer.queued || this.inFlightEntities.has(key)) return;
    buffer.queued = true;
    if (buffer.timer) clearTimeout(buffer.timer);
    buffer.timer = undefined;
    this.queue.push(key);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      const buffer = this.buffers.get(key)!;
      // At most one signal's worth; the rest stays buffered for the next signal to this correlator.
      const sent = this.takeSignal(buffer);
      if (buffer.entries.length === 0) this.buffers.delete(key);
      else buffer.queued = false;
      this.inFlight += 1;
      this.inFlightEntities.add(key);
      const sentAt = Date.now();
      const times = this.metrics ? sent.map((e) => e.times) : [];
      this.metrics?.signalSent(buffer.tenant, times, sentAt);
      this.signal(key, buffer.tenant, buffer.entity, sent.map((e) => e.detection))
        .then(
          () => {
            this.metrics?.signalSettled(buffer.tenant, times, sentAt, true, Date.now());
            this.settle(sent, undefined);
          },
          (err: unknown) => {
            this.stats.failedSignals += 1;
            this.metrics?.signalSettled(buffer.tenant, times, sentAt, false, Date.now());
            this.settle(sent, err ?? new Error('signal failed'));
          },
        )
        .finally(() => {
          this.inFlight -= 1;
          this.inFlightEntities.delete(key);
          // Whatever accumulated meanwhile has waited a whole signal round trip: send it now.
          if (this.buffers.has(key)) this.release(key);
          this.pump();
        });
    }
  }

  private takeSignal(buffer: Buffer): Entry[] {
    let bytes = 0;
    let n = 0;
    const budget = this.maxBytes - SIGNAL_OVERHEAD_BYTES;
    while (n < buffer.entries.length && n < this.maxPerSignal && (n === 0 || bytes + buffer.entries[n]!.bytes <= budget)) {
      bytes += buffer.entries[n]!.bytes;
      n += 1;
    }
    buffer.bytes -= bytes;
    return buffer.entries.splice(0, n);
  }

  private settle(entries: Entry[], err: unknown): void {
    for (const { waiter } of entries) {
      if (err !== undefined) waiter.failed ??= err;
      waiter.remaining -= 1;
      if (waiter.remaining === 0) {
        if (waiter.failed !== undefined) waiter.reject(waiter.failed);
        else waiter.resolve();
      }
    }
  }

  private async signal(workflowId: string, tenant: string, entity: EntityRef, detections: Detection[]): Promise<void> {
    const hash = createHash('sha256');
    for (const d of detections) hash.update(d.eventId).update('\0');
    // Typed by the workflow function (imported as a type only: no workflow code in this process); the type name is
    // the one in histories and worker registrations.
    await this.client.workflow.signalWithStart<typeof correlatorWorkflow, [DetectionBatch]>('correlatorWorkflow', {
      workflowId,
      taskQueue: tenantTaskQueue(tenant),
      args: [{ tenant, entity, uiBaseUrl: this.uiBaseUrl }],
      // The line the Temporal UI lists the run under (used only when this call starts it); the card is its current details.
      staticSummary: correlatorSummary(tenant, entity),
      signal: detectionBatchSignal,
      signalArgs: [{ batchId: hash.digest('hex').slice(0, 32), detections }],
      typedSearchAttributes: [
        { key: TenantId, value: tenant },
        { key: EntityType, value: entity.type },
        { key: EntityId, value: entity.id },
      ],
    });
    this.stats.signals += 1;
    this.stats.detections += detections.length;
    this.logger.debug({ workflowId, detections: detections.length }, 'routed detections');
  }
}
