/**
 * The fields correlations read from a matched event (group-by and condition fields, aliases resolved), read as the
 * rule that matched reads them: a path a correlation needs from rule R is read under R's logsource pipeline, so a
 * process_creation rule that matched an auditd or Falco event groups by the `Hostname` or `User` it matched on.
 * Paths no matched rule asks for are read under the event source's own pipeline. Ingest (DetectionBuilder),
 * `vigil rules eval` and the offline tests all take Detection.fields from here, so they group alike.
 * **Invariant**: one value per path (FieldReader.scalar); strings bounded to MAX_FIELD_CHARS, as a Detection crosses
 * into correlator workflow history.
 */
import { fieldsByReference, fieldsNeeded } from '../correlation/fields-needed';
import type { Detection, RuleRef } from '../model/detection';
import { sourceKinds, type SourceKind } from '../model/source';
import type { CompiledRule } from '../sigma/compile';
import type { CorrelationRule } from '../sigma/correlation-rule';
import { fieldReader, sourceFieldReader, type FieldReader, type FieldScalar } from '../sigma/field-reader';

export type DetectionFieldValues = Detection['fields'];

const MAX_FIELD_CHARS = 512;

export function boundedScalar(value: FieldScalar | undefined): FieldScalar | undefined {
  return typeof value === 'string' && value.length > MAX_FIELD_CHARS ? value.slice(0, MAX_FIELD_CHARS) : value;
}

interface PathReader {
  readonly path: string;
  readonly reader: FieldReader;
}

export class DetectionFields {
  private readonly bySource = new Map<SourceKind, PathReader[]>();
  /** Detection rule id or name → the paths correlations read from its matches, under its own logsource. */
  private readonly byRule = new Map<string, PathReader[]>();

  constructor(correlations: readonly CorrelationRule[], rules: readonly CompiledRule[]) {
    const paths = fieldsNeeded(correlations);
    for (const source of sourceKinds) this.bySource.set(source, paths.map((path) => ({ path, reader: sourceFieldReader(source, path) })));
    const ruleByRef = new Map<string, CompiledRule>();
    for (const rule of rules) {
      ruleByRef.set(rule.ref.id, rule);
      if (rule.ref.name !== undefined) ruleByRef.set(rule.ref.name, rule);
    }
    for (const { ref, path } of fieldsByReference(correlations)) {
      const rule = ruleByRef.get(ref);
      if (rule === undefined) continue; // a correlation over a correlation reads the upstream hit's group, not events
      const list = this.byRule.get(ref) ?? [];
      if (!list.some((p) => p.path === path)) list.push({ path, reader: fieldReader(rule.logsource, path) });
      this.byRule.set(ref, list);
    }
  }

  /**
   * Writes into `fields` the correlation fields of an event of `source` that matched `matched` (the first matched
   * rule asking for a path decides its value); a path without a value is removed, whatever `fields` held for it.
   */
  read(source: SourceKind, event: unknown, matched: readonly RuleRef[], fields: DetectionFieldValues = {}): DetectionFieldValues {
    const decided = new Set<string>();
    const take = ({ path, reader }: PathReader): void => {
      if (decided.has(path)) return;
      decided.add(path);
      const v = boundedScalar(reader.scalar(event));
      if (v === undefined) delete fields[path];
      else fields[path] = v;
    };
    for (const rule of matched) {
      this.byRule.get(rule.id)?.forEach(take);
      if (rule.name !== undefined) this.byRule.get(rule.name)?.forEach(take);
    }
    this.bySource.get(source)!.forEach(take);
    return fields;
  }
}
