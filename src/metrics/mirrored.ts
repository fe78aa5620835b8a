/**
 * Metrics read from counters a component already keeps (IngestStats, PublisherStats...): nothing is added to the
 * hot path, the value is taken when Prometheus scrapes. **Invariant** of `read` for counters: it never decreases
 * (the stats it reads are cumulative for the life of the process).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface MirrorSpec {
  name: string;
  help: string;
  /** Fixed labels of this process' series (a collector's tenant and source). */
  labels?: Record<string, string>;
}

export function mirrorCounter(registry: Registry, spec: MirrorSpec, read: () => number): void {
  let last = 0;
  const labels = spec.labels ?? {};
  new Counter({
    name: spec.name,
    help: spec.help,
    labelNames: Object.keys(labels),
    registers: [registry],
    collect() {
      const now = read();
      // Even by 0: a labelled series exists only once incremented, and a counter that is still 0 must show.
      this.inc(labels, Math.max(0, now - last));
      last = Math.max(last, now);
    },
  });
}

export function mirrorGauge(registry: Registry, spec: MirrorSpec, read: () => number): void {
  const labels = spec.labels ?? {};
  new Gauge({
    name: spec.name,
    help: spec.help,
    labelNames: Object.keys(labels),
    registers: [registry],
    collect() {
      this.set(labels, read());
    },
  });
}
