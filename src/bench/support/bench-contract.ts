/**
 * The figures scripts and the targets rely on, by exact name, and the module that measures each.
 * `vigil bench` checks them after every run: a contract figure whose module ran must be there, every
 * figure must state its load, and every number its unit. A rename that breaks the contract fails here,
 * not silently in someone's dashboard.
 */
import type { BenchFigure } from './bench-figure';

export const contractFigures: Readonly<Record<string, string>> = {
  'matcher.events_per_sec_per_core': 'matcher',
  'ingest.events_per_sec_per_core': 'soak',
  'correlation.events_per_sec': 'correlator',
  'correlation.batched_vs_per_event_ratio': 'correlator',
  'latency.event_to_alert_p50_ms': 'correlator',
  'latency.event_to_alert_p99_ms': 'correlator',
  'latency.new_entity_first_alert_p99_ms': 'correlator',
  'workflow.task_ms_p50': 'correlator',
  'memory.bytes_per_cached_correlator': 'correlator',
  'temporal.raw_signals_per_sec': 'correlator',
};

/** What is wrong with the figures of a run of the modules `ran`: missing contract names, figures without load or unit. */
export function contractProblems(figures: readonly BenchFigure[], ran: readonly string[]): string[] {
  const names = new Set(figures.map((f) => f.name));
  const missing = Object.entries(contractFigures)
    .filter(([name, module]) => ran.includes(module) && !names.has(name))
    .map(([name, module]) => `missing ${name} (measured by ${module})`);
  const unstated = figures.flatMap((f) => [
    ...(f.load.trim() === '' ? [`${f.name} states no load`] : []),
    ...(typeof f.value === 'number' && f.unit.trim() === '' ? [`${f.name} has no unit`] : []),
  ]);
  return [...missing, ...unstated];
}
