/**
 * The wire format between collectors and ingest: one msgpack-encoded EventBatch per MQTT message
 * on `vigil/v1/{tenant}/events/{source}`. Only the envelope is validated strictly; `data` is the
 * raw event as the source produced it (CloudTrail record, k8s audit Event, ...) and is kept whole
 * for the archive and for rule matching.
 */
import { z } from 'zod';

export const RawEventSchema = z.object({
  /** Unique per event (collector-assigned or the source's own id); drives de-duplication downstream. */
  id: z.string().min(1).max(256),
  /** Event time in epoch milliseconds (from the source record, not arrival time). */
  time: z.number().int().nonnegative(),
  data: z.record(z.string(), z.unknown()),
});
export type RawEvent = z.infer<typeof RawEventSchema>;

export const EventBatchSchema = z.object({
  v: z.literal(1),
  /** Which collector sent it (host name or collector id), for provenance. */
  collector: z.string().min(1).max(256),
  /**
   * The tenant the collector was configured for. Optional (older collectors omit it); when present it must
   * equal the topic's tenant, which the broker authorises per identity (ingest/tenant-claim.ts).
   */
  tenant: z.string().min(1).max(63).optional(),
  /**
   * When the collector handed this batch to MQTT (epoch ms; set again on each resend). Optional (other producers
   * and older collectors omit it); ingest uses it only to measure publish → ingest latency (src/metrics).
   */
  sentAt: z.number().int().nonnegative().optional(),
  events: z.array(z.unknown()).max(10_000),
});
export type EventBatch = { v: 1; collector: string; tenant?: string; sentAt?: number; events: RawEvent[] };
