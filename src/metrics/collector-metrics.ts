/**
 * A collector's counts as Prometheus metrics, labelled with the one tenant and source a collector process publishes
 * (bounded: one series per process). Read at scrape time from CollectorOutput's counts, so publishing pays nothing.
 */
import type { Registry } from 'prom-client';
import type { CollectorCounts } from '../collect/collector-output';
import { mirrorCounter, mirrorGauge } from './mirrored';

export function registerCollectorMetrics(registry: Registry, labels: { tenant: string; source: string }, counts: () => CollectorCounts): void {
  const counter = (name: string, help: string, read: (c: CollectorCounts) => number): void => mirrorCounter(registry, { name, help, labels }, () => read(counts()));
  counter('vigil_collector_events_accepted_total', 'Events queued for publishing (after edge rules).', (c) => c.accepted);
  counter('vigil_collector_events_published_total', 'Events the broker acknowledged (PUBACK).', (c) => c.published);
  counter('vigil_collector_events_filtered_total', 'Events matching no edge rule, not published.', (c) => c.filtered);
  counter('vigil_collector_records_malformed_total', 'Input records that were not events of the source (VGL_COLLECT_INPUT).', (c) => c.malformed);
  counter('vigil_collector_events_dropped_total', 'Events dropped because the buffer (and spill) was full during a broker outage.', (c) => c.dropped);
  counter('vigil_collector_events_spilled_total', 'Events written to the spill directory during broker outages.', (c) => c.spilled);
  counter('vigil_collector_batches_retried_total', 'Batches published again (failed publish, or dropped by the broker for want of a subscriber).', (c) => c.retriedBatches);
  mirrorCounter(registry, { name: 'vigil_mqtt_reconnects_total', help: 'Reconnections of this process\' MQTT connections.', labels: { role: 'collector' } }, () => counts().reconnects);
  mirrorGauge(registry, { name: 'vigil_collector_events_buffered', help: 'Events not yet acknowledged by the broker, in memory or spilled.', labels }, () => counts().buffered);
}
