/** The detection fields correlations read, so ingest copies exactly these (dotted paths) into Detection.fields. */
import type { CorrelationRule } from '../sigma/correlation-rule';
import { aliasedField } from './plan';

export function fieldsNeeded(rules: readonly CorrelationRule[]): string[] {
  const fields = new Set<string>();
  for (const rule of rules) {
    const names = [...rule.groupBy, ...(rule.condition.kind === 'threshold' ? rule.condition.field : [])];
    for (const ref of rule.rules) for (const name of names) fields.add(aliasedField(rule, name, ref));
  }
  return [...fields].sort();
}
