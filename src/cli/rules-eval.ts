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
import { correlateOffline } from '../correlation/offline';
import { fieldsNeeded } from '../correlation/fields-needed';
import type { CorrelationHit } from '../correlation/hit';
import type { Detection, RuleRef } from '../model/detection';
import { getPath } from '../model/field-path';
import { SourceKindSchema, type SourceKind } from '../model/source';
import { VigilError } from '../error-codes';
import { loadRuleSet, parseLogsourceSelector, type LoadOptions } from '../sigma';
import { detectSource } from '../collect/event-file';
import { readRecords } from '../collect/record-reader';
import type { RecordOrigin } from '../collect/record-sink';

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

const defaultTimeField: Record<SourceKind, string> = {
  cloudtrail: 'eventTime',
  k8s_audit: 'requestReceivedTimestamp',
  falco: 'time',
  process: 'time',
  auditd: 'time',
  json: 'time',
};

type Scalar = string | number | boolean | null;

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
  const correlationFields = fieldsNeeded(ruleSet.correlations);

  let source: SourceKind | undefined;
  let idField = '';
  let timeField = '';
  /** Set once the source is known: from --source, else from the first record. */
  const useSource = (kind: SourceKind): void => {
    if (options.logsource !== undefined && kind !== 'json') {
      throw new VigilError('VGL_CONFIG_INVALID', '--logsource narrows --source json only; other sources route by their own logsource', { field: '--logsource' });
    }
    source = kind;
    idField = options.idField ?? defaultIdField[kind];
    timeField = options.timeField ?? defaultTimeField[kind];
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
    const record = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
    const idValue = getPath(record, idField);
    const id = typeof idValue === 'string' || typeof idValue === 'number' ? String(idValue) : String(i);
    for (const rule of rules) out.write(`${detectionPrefix(rule)}${i},"id":${JSON.stringify(id)}}}`);
    hits += rules.length;
    if (ruleSet.correlations.length === 0) return;
    lastTime = eventTime(getPath(record, timeField)) ?? lastTime;
    detections.push({
      eventId: id,
      tenant: 'offline',
      source: kind,
      time: lastTime,
      rules,
      entities: [],
      fields: pickFields(record, correlationFields),
      summary: '',
      rulesetVersion: ruleSet.version,
    });
  };
  const read = await readRecords(
    options.events,
    { format: flagged === 'auditd' ? 'auditd' : 'json', code: 'VGL_RULE_EVENTS_INPUT', ...(out.signal ? { signal: out.signal } : {}), ...(out.ready ? { ready: () => out.ready!() } : {}) },
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

/** ISO-8601 text or epoch (seconds below 1e12, else milliseconds) → epoch ms. */
function eventTime(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e12 ? v * 1000 : v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

function pickFields(record: Record<string, unknown>, paths: readonly string[]): Record<string, Scalar> {
  const fields: Record<string, Scalar> = {};
  for (const path of paths) {
    const v = getPath(record, path);
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') fields[path] = v;
  }
  return fields;
}
