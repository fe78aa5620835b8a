/**
 * Routes detections to entity correlators: buffers them per (tenant, entity) for a few milliseconds so
 * detections from several MQTT messages share one signal, then delivers each buffer with one
 * signal-with-start to `entity:{tenant}:{type}:{id}` on the tenant's task queue. `route()` resolves only
 * when Temporal has accepted every signal carrying its detections, so the caller can acknowledge the
 * MQTT message (at-least-once). Redelivered detections are harmless: correlators ignore (event, rule)
 * pairs they have seen, and a batch id (a hash of its event ids) they have seen.
 *
 * Bounds: a buffer is flushed when it reaches `maxDetectionsPerSignal` or `maxSignalBytes` (estimated),
 * or `maxDelayMs` after its first detection; at most `concurrency` signals are in flight; `route()`
 * callers wait for their flush, which is the back-pressure that stops MQTT reads when Temporal is slow.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Detection } from '../model/detection';
import type { EntityRef } from '../model/entity';
import { EntityId, EntityType, TenantId } from '../temporal/search-attributes';
import { correlatorWorkflowId, tenantTaskQueue } from '../temporal/workflow-ids';
import type { CorrelatorInput } from '../../workflows/correlator/correlator-input';
import { detectionBatchSignal } from '../../workflows/correlator/messages';
import { defaultUiBaseUrl } from '../../workflows/correlator/ui-link';

export interface RouterOptions {
  /** Wait this long for more detections for the same entity before signalling (0 = signal per route() call). */
  maxDelayMs?: number;
  maxDetectionsPerSignal?: number;
  /** Estimated payload bound per signal; Temporal rejects payloads over 2 MiB and warns over 512 KiB. */
  maxSignalBytes?: number;
  /** Signals in flight at once. */
  concurrency?: number;
  /** Temporal Web UI base URL that alerts link to (default `http://localhost:8233`); the namespace is the client's. */
  uiBaseUrl?: string;
}

export interface RouterStats {
  signals: number;
  detections: number;
  failedSignals: number;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
  remaining: number;
  failed?: unknown;
}

interface Buffer {
  tenant: string;
  entity: EntityRef;
  detections: Detection[];
  bytes: number;
  waiters: Set<Waiter>;
  timer?: NodeJS.Timeout;
}

/** Rough payload size of a detection (msgpack is smaller than this; it only has to bound, not measure). */
function estimateBytes(d: Detection): number {
  let n = 200 + d.summary.length + d.eventId.length;
  for (const [k, v] of Object.entries(d.fields)) n += k.length + (typeof v === 'string' ? v.length : 8);
  for (const r of d.rules) n += r.id.length + r.title.length + 40;
  return n;
}

export class EntityRouter {
  readonly stats: RouterStats = { signals: 0, detections: 0, failedSignals: 0 };
  private readonly buffers = new Map<string, Buffer>();
  private readonly maxDelayMs: number;
  private readonly maxPerSignal: number;
  private readonly maxBytes: number;
  private readonly concurrency: number;
  private readonly uiBaseUrl: string;
  private inFlight = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    private readonly client: Client,
    private readonly logger: Logger,
    options: RouterOptions = {},
  ) {
    this.maxDelayMs = options.maxDelayMs ?? 20;
    this.maxPerSignal = options.maxDetectionsPerSignal ?? 200;
    this.maxBytes = options.maxSignalBytes ?? 256 * 1024;
    this.concurrency = options.concurrency ?? 32;
    this.uiBaseUrl = options.uiBaseUrl ?? defaultUiBaseUrl;
  }

  /** Resolves when every detection has been accepted by Temporal (in one or more signals); rejects if any signal failed. */
  route(tenant: string, detections: Detection[]): Promise<void> {
    if (detections.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, remaining: 0 };
      const touched: Buffer[] = [];
      for (const d of detections) {
        for (const entity of d.entities) {
          const key = correlatorWorkflowId(tenant, entity);
          let buffer = this.buffers.get(key);
          if (!buffer) this.buffers.set(key, (buffer = { tenant, entity, detections: [], bytes: 0, waiters: new Set() }));
          buffer.detections.push(d);
          buffer.bytes += estimateBytes(d);
          if (!buffer.waiters.has(waiter)) {
            buffer.waiters.add(waiter);
            waiter.remaining += 1;
          }
          touched.push(buffer);
          if (buffer.detections.length >= this.maxPerSignal || buffer.bytes >= this.maxBytes) this.flush(key);
        }
      }
      if (waiter.remaining === 0) return resolve();
      for (const buffer of touched) {
        const key = correlatorWorkflowId(buffer.tenant, buffer.entity);
        if (this.buffers.get(key) !== buffer) continue;
        if (this.maxDelayMs === 0) this.flush(key);
        else buffer.timer ??= setTimeout(() => this.flush(key), this.maxDelayMs);
      }
    });
  }

  /** Signals everything buffered now (shutdown, tests). */
  flushAll(): void {
    for (const key of [...this.buffers.keys()]) this.flush(key);
  }

  private flush(key: string): void {
    const buffer = this.buffers.get(key);
    if (!buffer) return;
    this.buffers.delete(key);
    if (buffer.timer) clearTimeout(buffer.timer);
    const run = (): void => {
      this.inFlight += 1;
      this.signal(key, buffer)
        .then(
          () => this.settle(buffer, undefined),
          (err: unknown) => {
            this.stats.failedSignals += 1;
            this.settle(buffer, err ?? new Error('signal failed'));
          },
        )
        .finally(() => {
          this.inFlight -= 1;
          this.queue.shift()?.();
        });
    };
    if (this.inFlight < this.concurrency) run();
    else this.queue.push(run);
  }

  private settle(buffer: Buffer, err: unknown): void {
    for (const w of buffer.waiters) {
      if (err !== undefined) w.failed ??= err;
      w.remaining -= 1;
      if (w.remaining === 0) {
        if (w.failed !== undefined) w.reject(w.failed);
        else w.resolve();
      }
    }
  }

  private async signal(workflowId: string, buffer: Buffer): Promise<void> {
    const { tenant, entity, detections } = buffer;
    const hash = createHash('sha256');
    for (const d of detections) hash.update(d.eventId).update('\0');
    const input: CorrelatorInput = { tenant, entity, uiBaseUrl: this.uiBaseUrl };
    await this.client.workflow.signalWithStart('correlatorWorkflow', {
      workflowId,
      taskQueue: tenantTaskQueue(tenant),
      args: [input],
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
