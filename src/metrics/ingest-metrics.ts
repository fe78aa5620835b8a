/**
 * What ingest reports to Prometheus beyond the counters it already keeps (those are mirrored at scrape time, see
 * ingest-service.ts): per-tenant events, detections, dead letters by code, batch sizes, signals, and the latency of
 * each pipeline stage. Calls happen once per message or per signal, with the per-detection latencies observed in a
 * loop over numbers already at hand.
 *
 * Labels: `tenant` is one of the configured tenants, or `none` when a message's topic names none (so a bad topic
 * cannot create series); `code` is a VGL_* code; `stage` and `outcome` are fixed words. No entity, event or rule
 * ids: their number is unbounded.
 *
 * Stages, from the timestamps the pipeline carries (`sentAt` in the batch envelope, set by Vigil's collectors when
 * they hand the batch to MQTT; ingest's receive time; the router's send and Temporal's answer):
 * - `publish_to_ingest`: sentAt → ingest received the message (clocks of two machines: negative skew counts as 0);
 * - `ingest_to_route`: received → the signal carrying the detection was sent (decode, match, archive sync, batching);
 * - `route_to_accepted`: signal sent → Temporal accepted it (one observation per signal);
 * - `publish_to_accepted`: sentAt → accepted, per detection: what a collector's event waits before its correlator
 *   has it durably.
 *
 * The ack window (ordered-acks.ts), per message and without labels (a connection carries every tenant): how long a
 * handed-off message waited for the PUBACKs of earlier ones (head-of-line), and how long reading paused because a
 * window was full (the only way that wait reaches event latency).
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ErrorCode } from '../error-codes';
import { batchSizeBuckets, latencySecondsBuckets } from './buckets';

/** When a message's events were published and received (epoch ms); travels with its detections to the router. */
export interface StageTimes {
  /** The collector's publish time (the batch's `sentAt`), when the producer sent one. */
  sentAt?: number;
  receivedAt: number;
}

export type PipelineStage = 'publish_to_ingest' | 'ingest_to_route' | 'route_to_accepted' | 'publish_to_accepted';

const NO_TENANT = 'none';

interface TenantSeries {
  archived: Counter.Internal;
  detections: Counter.Internal;
  batchEvents: Histogram.Internal<'tenant'>;
  signalDetections: Histogram.Internal<'tenant'>;
  stage: Record<PipelineStage, Histogram.Internal<'tenant' | 'stage'>>;
}

const seconds = (ms: number): number => Math.max(0, ms) / 1000;

export class IngestMetrics {
  private readonly series = new Map<string, TenantSeries>();
  private readonly deadLetters: Counter<'tenant' | 'code'>;
  private readonly deadLetteredEvents: Counter<'tenant' | 'code'>;
  private readonly signals: Counter<'tenant' | 'outcome'>;
  private readonly ackWait: Histogram;
  private readonly readPaused: Counter;

  constructor(
    readonly registry: Registry,
    private readonly tenants: readonly string[],
  ) {
    const registers = [registry];
    const archived = new Counter({ name: 'vigil_ingest_events_archived_total', help: 'Valid events written to the archive (redeliveries included).', labelNames: ['tenant'], registers });
    const detections = new Counter({ name: 'vigil_ingest_detections_total', help: 'Detections (events matching at least one rule) handed to the router.', labelNames: ['tenant'], registers });
    const batchEvents = new Histogram({ name: 'vigil_ingest_batch_events', help: 'Events per valid MQTT message (batch).', labelNames: ['tenant'], buckets: batchSizeBuckets, registers });
    const signalDetections = new Histogram({ name: 'vigil_route_signal_detections', help: 'Detections per signal sent to a correlator.', labelNames: ['tenant'], buckets: batchSizeBuckets, registers });
    const stage = new Histogram({ name: 'vigil_pipeline_stage_seconds', help: 'Latency of each pipeline stage (see the stage label): publish → ingest → route → accepted by Temporal.', labelNames: ['tenant', 'stage'], buckets: latencySecondsBuckets, registers });
    this.deadLetters = new Counter({ name: 'vigil_ingest_dead_letters_total', help: 'Dead letters by VGL code (one per bad event, or per whole message).', labelNames: ['tenant', 'code'], registers });
    this.deadLetteredEvents = new Counter({ name: 'vigil_ingest_dead_lettered_events_total', help: 'Events inside dead letters by VGL code (a whole-message letter counts the events its batch held, if readable).', labelNames: ['tenant', 'code'], registers });
    this.signals = new Counter({ name: 'vigil_route_signals_total', help: 'Signal-with-start calls to correlators by outcome (accepted, failed).', labelNames: ['tenant', 'outcome'], registers });
    this.ackWait = new Histogram({ name: 'vigil_ingest_ack_wait_seconds', help: "Handed-off message's wait for the PUBACKs of earlier messages of its connection (MQTT acknowledges in order).", buckets: latencySecondsBuckets, registers });
    this.readPaused = new Counter({ name: 'vigil_ingest_read_paused_seconds_total', help: 'Time consuming connections stopped reading because their ack window was full (summed over connections).', registers });
    for (const tenant of [...tenants, NO_TENANT]) {
      const stages = (['publish_to_ingest', 'ingest_to_route', 'route_to_accepted', 'publish_to_accepted'] as const).map((s) => [s, stage.labels(tenant, s)] as const);
      this.series.set(tenant, {
        archived: archived.labels(tenant),
        detections: detections.labels(tenant),
        batchEvents: batchEvents.labels(tenant),
        signalDetections: signalDetections.labels(tenant),
        stage: Object.fromEntries(stages) as TenantSeries['stage'],
      });
      // Zero series exist from the start, so rate() and the dashboard see a tenant before its first event.
      for (const outcome of ['accepted', 'failed']) this.signals.labels(tenant, outcome);
    }
  }

  private of(tenant: string | undefined): TenantSeries {
    return this.series.get(tenant ?? NO_TENANT) ?? this.series.get(NO_TENANT)!;
  }

  private label(tenant: string | undefined): string {
    return tenant !== undefined && this.tenants.includes(tenant) ? tenant : NO_TENANT;
  }

  /** A valid batch arrived: its size, and how long it took from the collector's publish. */
  received(tenant: string, events: number, times: StageTimes): void {
    const s = this.of(tenant);
    s.batchEvents.observe(events);
    if (times.sentAt !== undefined) s.stage.publish_to_ingest.observe(seconds(times.receivedAt - times.sentAt));
  }

  archived(tenant: string, events: number, detections: number): void {
    const s = this.of(tenant);
    s.archived.inc(events);
    if (detections > 0) s.detections.inc(detections);
  }

  deadLettered(tenant: string | undefined, code: ErrorCode, events: number): void {
    const tenantLabel = this.label(tenant);
    this.deadLetters.inc({ tenant: tenantLabel, code });
    if (events > 0) this.deadLetteredEvents.inc({ tenant: tenantLabel, code }, events);
  }

  /** A signal is about to be sent with detections of messages received at these times. */
  signalSent(tenant: string, times: readonly (StageTimes | undefined)[], now: number): void {
    const s = this.of(tenant);
    s.signalDetections.observe(times.length);
    for (const t of times) if (t) s.stage.ingest_to_route.observe(seconds(now - t.receivedAt));
  }

  /** Temporal answered a signal sent at `sentAt` (epoch ms). */
  signalSettled(tenant: string, times: readonly (StageTimes | undefined)[], signalSentAt: number, accepted: boolean, now: number): void {
    this.signals.inc({ tenant: this.label(tenant), outcome: accepted ? 'accepted' : 'failed' });
    if (!accepted) return;
    const s = this.of(tenant);
    s.stage.route_to_accepted.observe(seconds(now - signalSentAt));
    for (const t of times) if (t?.sentAt !== undefined) s.stage.publish_to_accepted.observe(seconds(now - t.sentAt));
  }

  /** A message was acknowledged `waitMs` after its own hand-off finished. */
  acknowledged(waitMs: number): void {
    this.ackWait.observe(seconds(waitMs));
  }

  /** A consuming connection read again after pausing `pausedMs` on a full ack window. */
  readResumed(pausedMs: number): void {
    this.readPaused.inc(seconds(pausedMs));
  }
}
