/**
 * The one way Vigil reads a named field of an event. A reader is the FieldSource the Sigma compiler builds for that
 * name under a logsource's pipeline (pipeline.ts `fieldSourceFor`), so entity extraction, correlation group-by and
 * value fields, event id and time, and `vigil rules eval` resolve a name exactly as a rule's detection does: through
 * arrays, literal dotted keys (`output_fields."k8s.pod.name"`) and pipeline mappings (k8s `apiGroup`, process fields
 * of auditd and Falco events). Readers are built once per field and logsource, never per event.
 *
 * A field can have several values (a path through an array, a value that is a list, a mapping with several sources).
 * Matching tests every value (any one matches). Where one value is needed (entity id, group-by or aggregated value,
 * event id or time), `scalar` is the FIRST string, number or boolean in document order (mapping order for mapped
 * fields); null when the field has only nulls; undefined when it has no value. A value that is an object is no value.
 * Reference: rsigma groups correlations by `Event::get_field` (`correlation/keys.rs` GroupKey::extract), which takes
 * the first array element where the path resolves (`event/json.rs` traverse_json) and the first present target of a
 * one-to-many mapping (`event/mapped.rs`); pySigma maps correlation `group-by` and condition fields through the same
 * pipeline as detection fields (`FieldMappingTransformationBase.apply`). Vigil differs from rsigma for a value that
 * is itself a list (`sourceIPs: [a, b]`): rsigma has no group value, Vigil takes `a`, as through an array of objects.
 * Not chosen: one group or entity per value, as SIEM queries converted by pySigma behave (Splunk `stats … by` on a
 * multivalue field, Elasticsearch terms aggregations): a Detection carries one value per field and goes to one
 * correlator per entity, so fanning out would multiply detections and correlator signals per event.
 */
import { logsourceOf, sourceKinds, type Logsource, type SourceKind } from '../model/source';
import { resolveField, type FieldSource } from './field-source';
import { fieldSourceFor } from './pipeline';

/** One value of a field where one is needed (the value types of Detection.fields). */
export type FieldScalar = string | number | boolean | null;

export class FieldReader {
  constructor(
    /** The field name as written (rule, group-by, entity template, time field). */
    readonly field: string,
    readonly source: FieldSource,
  ) {}

  /** Every leaf value, as matching sees them (arrays flattened, nulls kept, missing omitted). */
  values(event: unknown): unknown[] {
    const out: unknown[] = [];
    resolveField(this.source, event, out);
    return out;
  }

  /** The one value that stands for the field (see the module comment). */
  scalar(event: unknown): FieldScalar | undefined {
    let sawNull = false;
    for (const v of this.values(event)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
      if (v === null) sawNull = true;
    }
    return sawNull ? null : undefined;
  }
}

/** The reader of `field` for events read under `logsource` (a rule's logsource, or an event source's). */
export function fieldReader(logsource: Logsource | undefined, field: string): FieldReader {
  return new FieldReader(field, fieldSourceFor(logsource)(field));
}

/** The reader of `field` for events of `source`, under the logsource that source's events are matched as. */
export function sourceFieldReader(source: SourceKind, field: string): FieldReader {
  return fieldReader(logsourceOf[source], field);
}

/** Readers of per-source field lists (time fields, summary fields...), built once. */
export function readersBySource(fields: Readonly<Record<SourceKind, readonly string[]>>): Record<SourceKind, FieldReader[]> {
  return Object.fromEntries(sourceKinds.map((s) => [s, fields[s].map((f) => sourceFieldReader(s, f))])) as Record<SourceKind, FieldReader[]>;
}
