/**
 * `vigil rules eval`: detection and correlation rules over a file of events, offline, streamed: events
 * are matched as they are read (record-reader.ts) and detections written as they are found, so the
 * input may be larger than memory; only detections are kept, and only when correlation rules need
 * them. Output is NDJSON on stdout (stable contract, scripted against):
 *   {"type":"detection","rule":{"id","name","title","level"},"event":{"index":N,"id":"<id field value>"}}
 *   {"type":"correlation","rule":{...},"group":{"<group-by field>":"<value>"},"events":[ids...]}
 * `name` is null when the rule has none. The event id is the `--id-field` value (default per
 * source: CloudTrail eventID, k8s auditID, Falco uuid, else `id`), or the event index when absent.
 * The index counts the records read (0-based); a record that does not parse is reported and not counted.
 */
import type { Logger } from 'pino';
import { detectSource } from '../collect/event-file';
import { epochMsOf, eventTimeOf } from '../collect/event-time';
import { readRecords } from '../collect/record-reader';
import type { RecordOrigin } from '../collect/record-sink';
import { correlateOffline } from '../correlation/offline';
import type { CorrelationHit } from '../correlation/hit';
import type { Detection, RuleRef } from '../model/detection';
import { SourceKindSchema, type SourceKind } from '../model/source';
import { VigilError } from '../error-codes';
import { loadRuleSet, parseLogsourceSelector, type LoadOptions } from '../sigma';
import { sourceFieldReader, type FieldReader } from '../sigma/field-reader';
import { DetectionFields } from '../ingest/detection-fields';

export interface EvalOptions extends LoadOptions {
  readonly rules: string[];
  /** A file, or `-` for standard input. */
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

/** Where hits go, one NDJSON line each; `ready` and `signal` come from a LineWriter (back-pressure, closed pipe). */
export interface EvalOutput {
  write(line: string): void;
  ready?(): Promise<void> | undefined;
  readonly signal?: AbortSignal;
}

/** Input problems logged one by one up to this many; the rest are counted in the summary. */
const SHOWN_ISSUES = 20;

export async function evalRules(options: EvalOptions, output: EvalOutput | ((line: string) => void), logger: Logger): Promise<{ detections: number; correlations: number }> {
  const out: EvalOutput = typeof output === 'function' ? { write: output } : output;
  const loadStarted = process.cpuUsage();
  const { ruleSet, errors } = await loadRuleSet(options.rules, options);
  const loadCpu = process.cpuUsage(loadStarted);
  const ruleLoadMs = Math.round((loadCpu.user + loadCpu.system) / 1000);
  for (const e of errors) logger.warn({ code: e.code, location: e.location }, e.message);
  const flagged = options.source === undefined ? undefined : parseSource(options.source);
  const selector = options.logsource ? parseLogsourceSelector(options.logsource) : 'all';
  const correlationFields = new DetectionFields(ruleSet.correlations, ruleSet.rules);

  let source: SourceKind | undefined;
  let idReader: FieldReader | undefined;
  let timeReader: FieldReader | undefined;
  /** Set once the source is known: from --source, else from the first record. */
  const useSource = (kind: SourceKind): void => {
    if (options.logsource !== undefined && kind !== 'json') {
      throw new VigilError('VGL_CONFIG_INVALID', '--logsource narrows --source json only; other sources route by their own logsource', { field: '--logsource' });
    }
    source = kind;
    // Fields are read as ingest reads them: the matcher's readers (arrays, pipeline mappings), built once.
    idReader = sourceFieldReader(kind, options.idField ?? defaultIdField[kind]);
    timeReader = options.timeField === undefined ? undefined : sourceFieldReader(kind, options.timeField);
  };
  if (flagged) useSource(flagged);

  // Each rule's part of its detection lines is serialised once: the hot path only adds the event.
  const prefixes = new Map<RuleRef, string>();
  const detectionPrefix = (rule: RuleRef): string => {
    let prefix = prefixes.get(rule);
    if (prefix === undefined) {
      prefix = JSON.stringify({ type: 'detection', rule: ruleJson(rule), event: { index: 0 } }).slice(0, -'0}}'.length);
      prefixes.set(rule, prefix);
    }
    return prefix;
  };
  const detections: Detection[] = [];
  let index = 0;
  let hits = 0;
  let issues = 0;
  let lastTime = 0;
  const evaluate = (event: unknown, origin: RecordOrigin): void => {
    if (source === undefined) useSource(detectSource(event, origin) ?? undetectable(options.events));
    const kind = source!;
    const i = index++;
    const rules: RuleRef[] = kind === 'json' ? ruleSet.matchSelected(event, selector).map((r) => r.ref) : ruleSet.match(event, kind);
    if (rules.length === 0) return;
    const idValue = idReader!.scalar(event);
    const id = typeof idValue === 'string' || typeof idValue === 'number' ? String(idValue) : String(i);
    for (const rule of rules) out.write(`${detectionPrefix(rule)}${i},"id":${JSON.stringify(id)}}}`);
    hits += rules.length;
    if (ruleSet.correlations.length === 0) return;
    // Without --time-field, the source's own time fields, as collectors stamp events (collect/event-time.ts).
    lastTime = timeReader ? (epochMsOf(timeReader.scalar(event)) ?? lastTime) : eventTimeOf(kind, event, lastTime);
    detections.push({
      eventId: id,
      tenant: 'offline',
      source: kind,
      time: lastTime,
      rules,
      entities: [],
      fields: correlationFields.read(kind, event, rules),
      summary: '',
      rulesetVersion: ruleSet.version,
    });
  };
  const read = await readRecords(
    options.events,
    { format: flagged === 'auditd' ? 'json-or-auditd' : 'json', code: 'VGL_RULE_EVENTS_INPUT', ...(out.signal ? { signal: out.signal } : {}), ...(out.ready ? { ready: () => out.ready!() } : {}) },
    {
      record: evaluate,
      issue(e) {
        if (++issues <= SHOWN_ISSUES) logger.warn({ code: e.code, location: e.location }, e.message);
      },
    },
  );
  if (source === undefined && !out.signal?.aborted) undetectable(options.events);
  const correlationHits = ruleSet.correlations.length > 0 && !out.signal?.aborted ? correlateOffline(ruleSet.correlations, detections) : [];
  for (const hit of correlationHits) out.write(JSON.stringify(correlationJson(hit)));
  logger.info(
    { events: index, detections: hits, correlations: correlationHits.length, inputProblems: issues, bytesRead: read.bytes, ruleLoadCpuMs: ruleLoadMs, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) },
    issues > SHOWN_ISSUES ? `rules eval done; ${issues - SHOWN_ISSUES} more input problems not shown` : 'rules eval done',
  );
  return { detections: hits, correlations: correlationHits.length };
}

function parseSource(flag: string): SourceKind {
  const parsed = SourceKindSchema.safeParse(flag);
  if (!parsed.success) throw new VigilError('VGL_CONFIG_INVALID', `--source must be one of ${SourceKindSchema.options.join(', ')}, got '${flag}'`, { field: '--source' });
  return parsed.data;
}

function undetectable(file: string): never {
  throw new VigilError('VGL_RULE_EVENTS_INPUT', 'cannot tell which source these events come from; pass --source', { file });
}

function ruleJson(rule: RuleRef) {
  return { id: rule.id, name: rule.name ?? null, title: rule.title, level: rule.level };
}

function correlationJson(hit: CorrelationHit) {
  return { type: 'correlation', rule: ruleJson(hit.rule), group: hit.group, events: hit.eventIds, ...(hit.kind === 'absence' ? { kind: 'absence' } : {}) };
}
