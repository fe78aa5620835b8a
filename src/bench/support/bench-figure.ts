/**
 * The benchmark contract shared by `vigil bench` and every benchmark module: what a module is given and
 * what it reports (`--out FILE` writes `{"figures": BenchFigure[]}`).
 */
import type { TemporalTarget } from '../../temporal/local-cluster';

/** One measured figure; several may share a name and differ by `load` (the workload: stream, rule set). */
export interface BenchFigure {
  readonly name: string;
  readonly value: number | string;
  readonly unit: string;
  readonly load: string;
}

export interface BenchOptions {
  /** A smaller workload: a quick check that every figure can be produced, not a measurement to compare. */
  readonly quick: boolean;
  /** Run on this Temporal instead of a dev server of the module's own (`--cluster`; modules in clusterBenches). */
  readonly temporal?: TemporalTarget;
}

/** A figure with its number rounded to two decimals (more is noise in any benchmark here). */
export function benchFigure(name: string, value: number | string, unit: string, load: string): BenchFigure {
  return { name, value: typeof value === 'number' ? Math.round(value * 100) / 100 : value, unit, load };
}
