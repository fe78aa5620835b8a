/**
 * Turns a raw event that matched rules into a Detection: the part of it correlation and analysts
 * need (entities, a few summary fields, the fields correlations group by or aggregate). Runs only
 * for matched events, so it is off the hot path of non-matching traffic. Every field is read with
 * the matcher's field readers (sigma/field-reader.ts): arrays and pipeline mappings included.
 */
import type { RawEvent } from '../model/event';
import type { Detection, RuleRef } from '../model/detection';
import type { SourceKind } from '../model/source';
import { readersBySource, type FieldReader, type FieldScalar } from '../sigma/field-reader';
import type { CorrelationRouting } from './correlation-routing';
import { boundedScalar, type DetectionFieldValues, type DetectionFields } from './detection-fields';
import type { EntityMapping } from './entity-mapping';

/** Fields shown in timelines and alerts per source, besides what correlations need. */
const summaryFields: Record<SourceKind, string[]> = {
  cloudtrail: ['eventSource', 'eventName', 'userIdentity.arn', 'sourceIPAddress', 'awsRegion', 'errorCode'],
  k8s_audit: ['verb', 'objectRef.resource', 'objectRef.subresource', 'objectRef.namespace', 'objectRef.name', 'user.username', 'sourceIPs'],
  process: ['Hostname', 'User', 'Image', 'CommandLine', 'ParentImage', 'PodName'],
  auditd: ['hostname', 'type', 'exe', 'comm', 'key'],
  falco: ['rule', 'priority', 'output', 'hostname'],
  json: [],
};

const summaryReaders = readersBySource(summaryFields);

/** A summary field shows all its values (`sourceIPs` "a,b"); correlations use one (DetectionFields). */
function displayValue(reader: FieldReader, event: unknown): FieldScalar | undefined {
  const values = reader.values(event);
  const shown = values.filter((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean');
  if (shown.length === 0) return values.includes(null) ? null : undefined;
  return boundedScalar(shown.length === 1 ? (shown[0] as FieldScalar) : shown.map(String).join(','));
}

export class DetectionBuilder {
  constructor(
    private readonly entities: EntityMapping,
    private readonly routing: CorrelationRouting,
    /** The fields correlations group by or aggregate, read as the matched rules read them. */
    private readonly correlationFields: DetectionFields,
  ) {}

  build(tenant: string, source: SourceKind, event: RawEvent, rules: RuleRef[], rulesetVersion: string): Detection {
    const shown: DetectionFieldValues = {};
    for (const reader of summaryReaders[source]) {
      const v = displayValue(reader, event.data);
      if (v !== undefined) shown[reader.field] = v;
    }
    const summary = summarize(source, shown);
    const detection: Detection = {
      eventId: event.id,
      tenant,
      source,
      time: event.time,
      rules,
      entities: this.entities.extract(source, event.data),
      // Correlation values replace shown ones: a group-by on `sourceIPs` needs one address, not the list.
      fields: this.correlationFields.read(source, event.data, rules, shown),
      summary,
      rulesetVersion,
    };
    detection.entities.push(...this.routing.groupEntities(detection));
    return detection;
  }
}

function summarize(source: SourceKind, fields: DetectionFieldValues): string {
  return summaryFields[source]
    .map((f) => fields[f])
    .filter((v) => v !== undefined && v !== null && v !== '')
    .join(' ');
}
