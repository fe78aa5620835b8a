/**
 * How far ingest got with what a scenario run published, counted in MQTT messages: ingest acknowledges (PUBACK) a
 * message only after its events are archived and Temporal accepted every signal it caused (or after it was
 * dead-lettered), so `acknowledged - baseline >= published` with an empty ack window means every published event was
 * handed on. Read from the `/metrics` endpoints of the ingest processes, summed: the embedded stack's own ingest
 * process (src/app/pipeline.ts), or a running stack's (VIGIL_INGEST_METRICS_URLS).
 * **Invariant**: only acknowledgements count, never receipts; other traffic on the same stack during the run counts
 * too (acknowledged early), so run scenarios on a stack nobody else publishes to for exact results.
 */
import { VigilError } from '../error-codes';
import { scrape, valueOf } from '../metrics/prometheus-text';

export interface IngestCounts {
  acknowledged: number;
  /** Messages received and not yet acknowledged. */
  unacknowledged: number;
  /** Events ingest dead-lettered (acknowledged without reaching a correlator): the run reports them. */
  deadLetteredEvents: number;
}

export type IngestProgress = () => Promise<IngestCounts>;

export function scrapedProgress(urls: readonly string[], token: string | undefined): IngestProgress {
  return async () => {
    const counts: IngestCounts = { acknowledged: 0, unacknowledged: 0, deadLetteredEvents: 0 };
    for (const url of urls) {
      const samples = await scrape(url, token).catch((err: Error) => {
        throw new VigilError('VGL_SCENARIO_INGEST_METRICS', `cannot read ingest metrics: ${err.message}`, { field: 'VIGIL_INGEST_METRICS_URLS' });
      });
      counts.acknowledged += valueOf(samples, 'vigil_ingest_acknowledged_total');
      counts.unacknowledged += valueOf(samples, 'vigil_ingest_ack_window_messages');
      counts.deadLetteredEvents += valueOf(samples, 'vigil_ingest_dead_lettered_events_total');
    }
    return counts;
  };
}
