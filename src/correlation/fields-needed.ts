/** The detection fields correlations read, so ingest copies exactly these (dotted paths) into Detection.fields. */
import type { CorrelationRule } from '../sigma/correlation-rule';
import { aliasedField } from './plan';

/** Each (rule reference, field path) pair a correlation reads: group-by and condition fields, aliases resolved. */
export function fieldsByReference(rules: readonly CorrelationRule[]): Array<{ ref: string; path: string }> {
  const out: Array<{ ref: string; path: string }> = [];
  for (const rule of rules) {
    const names = [...rule.groupBy, ...(rule.condition.kind === 'threshold' ? rule.condition.field : [])];
    for (const ref of rule.rules) for (const name of names) out.push({ ref, path: aliasedField(rule, name, ref) });
  }
  return out;
}

export function fieldsNeeded(rules: readonly CorrelationRule[]): string[] {
  return [...new Set(fieldsByReference(rules).map((f) => f.path))].sort();
}
