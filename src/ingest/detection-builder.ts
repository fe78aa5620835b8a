/**
 * Turns a raw event that matched rules into a Detection: the part of it correlation and analysts
 * need (entities, a few summary fields, the fields correlations group by or aggregate). Runs only
 * for matched events, so it is off the hot path of non-matching traffic.
 */
import type { RawEvent } from '../model/event';
import type { Detection, RuleRef } from '../model/detection';
import { getPath } from '../model/field-path';
import type { SourceKind } from '../model/source';
import type { CorrelationRouting } from './correlation-routing';
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

const MAX_FIELD_CHARS = 512;

type Scalar = string | number | boolean | null;

function toScalar(value: unknown): Scalar | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.length > MAX_FIELD_CHARS ? value.slice(0, MAX_FIELD_CHARS) : value;
  if (Array.isArray(value)) return value.length === 0 ? undefined : toScalar(value.length === 1 ? value[0] : value.map(String).join(','));
  return undefined;
}

export class DetectionBuilder {
  constructor(
    private readonly entities: EntityMapping,
    private readonly routing: CorrelationRouting,
    /** Extra dotted paths correlations need (group-by, value and alias fields). */
    private readonly correlationFields: readonly string[],
  ) {}

  build(tenant: string, source: SourceKind, event: RawEvent, rules: RuleRef[], rulesetVersion: string): Detection {
    const fields: Record<string, Scalar> = {};
    for (const path of [...summaryFields[source], ...this.correlationFields]) {
      const v = toScalar(getPath(event.data, path));
      if (v !== undefined) fields[path] = v;
    }
    const detection: Detection = {
      eventId: event.id,
      tenant,
      source,
      time: event.time,
      rules,
      entities: this.entities.extract(source, event.data),
      fields,
      summary: summarize(source, fields),
      rulesetVersion,
    };
    detection.entities.push(...this.routing.groupEntities(detection, event.data));
    return detection;
  }
}

function summarize(source: SourceKind, fields: Record<string, Scalar>): string {
  return summaryFields[source]
    .map((f) => fields[f])
    .filter((v) => v !== undefined && v !== null && v !== '')
    .join(' ');
}
