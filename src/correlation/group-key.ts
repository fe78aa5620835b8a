/**
 * Reading group-by and value fields from an input. A missing (or null) group-by field means the input
 * belongs to no group of that correlation, as with `stats … by` in Splunk or a terms aggregation in
 * Elasticsearch: grouping it with other field-less inputs would correlate unrelated activity.
 * Group keys are JSON arrays of the values, so they are injective and never `__proto__`.
 */
import type { Detection } from '../model/detection';

export type Fields = Detection['fields'];

export interface ResolvedGroup {
  key: string;
  /** The values in group-by order; `groupRecord` turns them into the hit's `group` when a group is created. */
  values: string[];
}

export function resolveGroup(fields: Fields, paths: readonly string[]): ResolvedGroup | null {
  const values: string[] = [];
  for (const path of paths) {
    const raw = fields[path];
    if (raw === undefined || raw === null) return null;
    values.push(String(raw));
  }
  return { key: JSON.stringify(values), values };
}

export function groupRecord(names: readonly string[], values: readonly string[]): Record<string, string> {
  const group: Record<string, string> = {};
  names.forEach((name, i) => (group[name] = values[i]!));
  return group;
}

/** value_count: the distinct-value key (one field: its text; several: a JSON array). Null when any is missing. */
export function distinctValue(fields: Fields, paths: readonly string[]): string | null {
  const values: string[] = [];
  for (const path of paths) {
    const raw = fields[path];
    if (raw === undefined || raw === null) return null;
    values.push(String(raw));
  }
  return values.length === 1 ? values[0]! : JSON.stringify(values);
}

/** value_sum/avg/percentile/median: a finite number, or a string that is one. */
export function numericValue(fields: Fields, path: string): number | null {
  const raw = fields[path];
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw === 'string' && raw.trim() !== '') {
    const n = Number(raw);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}
