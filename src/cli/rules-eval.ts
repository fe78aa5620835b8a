/**
 * `vigil rules eval`: detection and correlation rules over a file of events, offline. Output is
 * NDJSON on stdout (stable contract, scripted against):
 *   {"type":"detection","rule":{"id","name","title","level"},"event":{"index":N,"id":"<id field value>"}}
 *   {"type":"correlation","rule":{...},"group":{"<group-by field>":"<value>"},"events":[ids...]}
 * `name` is null when the rule has none. The event id is the `--id-field` value (default per
 * source: CloudTrail eventID, k8s auditID, Falco uuid, else `id`), or the event index when absent.
 */
import type { Logger } from 'pino';
import { epochMsOf, eventTimeOf } from '../collect/event-time';
import { correlateOffline } from '../correlation/offline';
import type { CorrelationHit } from '../correlation/hit';
import type { Detection, RuleRef } from '../model/detection';
import { SourceKindSchema, type SourceKind } from '../model/source';
import { VigilError } from '../error-codes';
import { loadRuleSet, parseLogsourceSelector, type LoadOptions } from '../sigma';
import { readEventFile } from '../sigma/event-file';
import { sourceFieldReader } from '../sigma/field-reader';
import { DetectionFields } from '../ingest/detection-fields';

export interface EvalOptions extends LoadOptions {
  readonly rules: string[];
  readonly events: string;
  readonly source?: string;
  /** `product/service/category`, narrows the rules applied with `--source json`. */
  readonly logsource?: string;
  readonly timeField?: string;
  readonly idField?: string;
}

const defaultIdField: Record<SourceKind, string> = {
  cloudtrail: 'eventID',
  k8s_audit: 'auditID',
  falco: 'uuid',
  process: 'id',
  auditd: 'id',
  json: 'id',
};

export async function evalRules(options: EvalOptions, write: (line: string) => void, logger: Logger): Promise<{ detections: number; correlations: number }> {
  const { ruleSet, errors } = await loadRuleSet(options.rules, options);
  for (const e of errors) logger.warn({ code: e.code, location: e.location }, e.message);
  const file = await readEventFile(options.events);
  const source = resolveSource(options.source, file.detectedSource, options.events);
  if (options.logsource !== undefined && source !== 'json') {
    throw new VigilError('VGL_CONFIG_INVALID', '--logsource narrows --source json only; other sources route by their own logsource', { field: '--logsource' });
  }
  const selector = options.logsource ? parseLogsourceSelector(options.logsource) : 'all';
  // Fields are read as ingest reads them: the matcher's readers (arrays, pipeline mappings), built once.
  const idReader = sourceFieldReader(source, options.idField ?? defaultIdField[source]);
  const timeReader = options.timeField === undefined ? undefined : sourceFieldReader(source, options.timeField);
  const correlationFields = new DetectionFields(ruleSet.correlations, ruleSet.rules);

  const detections: Detection[] = [];
  let lastTime = 0;
  file.events.forEach((event, index) => {
    const rules: RuleRef[] = source === 'json' ? ruleSet.matchSelected(event, selector).map((r) => r.ref) : ruleSet.match(event, source);
    if (rules.length === 0) return;
    const idValue = idReader.scalar(event);
    const id = typeof idValue === 'string' || typeof idValue === 'number' ? String(idValue) : String(index);
    for (const rule of rules) write(JSON.stringify({ type: 'detection', rule: ruleJson(rule), event: { index, id } }));
    // Without --time-field, the source's own time fields, as collectors stamp events (collect/event-time.ts).
    lastTime = timeReader ? (epochMsOf(timeReader.scalar(event)) ?? lastTime) : eventTimeOf(source, event, lastTime);
    detections.push({
      eventId: id,
      tenant: 'offline',
      source,
      time: lastTime,
      rules,
      entities: [],
      fields: correlationFields.read(source, event, rules),
      summary: '',
      rulesetVersion: ruleSet.version,
    });
  });
  const hits = ruleSet.correlations.length > 0 ? correlateOffline(ruleSet.correlations, detections) : [];
  for (const hit of hits) write(JSON.stringify(correlationJson(hit)));
  return { detections: detections.reduce((n, d) => n + d.rules.length, 0), correlations: hits.length };
}

function resolveSource(flag: string | undefined, detected: SourceKind | undefined, file: string): SourceKind {
  if (flag !== undefined) {
    const parsed = SourceKindSchema.safeParse(flag);
    if (!parsed.success) throw new VigilError('VGL_CONFIG_INVALID', `--source must be one of ${SourceKindSchema.options.join(', ')}, got '${flag}'`, { field: '--source' });
    return parsed.data;
  }
  if (detected) return detected;
  throw new VigilError('VGL_RULE_EVENTS_INPUT', 'cannot tell which source these events come from; pass --source', { file });
}

function ruleJson(rule: RuleRef) {
  return { id: rule.id, name: rule.name ?? null, title: rule.title, level: rule.level };
}

function correlationJson(hit: CorrelationHit) {
  return { type: 'correlation', rule: ruleJson(hit.rule), group: hit.group, events: hit.eventIds, ...(hit.kind === 'absence' ? { kind: 'absence' } : {}) };
}
