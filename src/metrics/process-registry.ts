/**
 * One registry per process (not prom-client's global one, so tests and `vigil dev` never share series by
 * accident), with Node's own metrics: CPU, memory, event-loop lag, GC. Those cost a sample per scrape plus an
 * event-loop-delay histogram, measured with the rest in `npm run bench soak` (README, Metrics).
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export function createProcessRegistry(role: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, labels: { role } });
  return registry;
}
