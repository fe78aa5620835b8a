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
import { readRecords } from '../collect/record-reader';
import type { RecordOrigin } from '../collect/record-sink';
import { SourceKindSchema, type SourceKind } from '../model/source';
import { VigilError } from '../error-codes';
import { loadRuleSet, parseLogsourceSelector, type LoadOptions } from '../sigma';
import { RuleEvaluation, type EvalOutput } from './rule-evaluation';

export type { EvalOutput } from './rule-evaluation';

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
  const evaluation = new RuleEvaluation(ruleSet, out, {
    selector: options.logsource ? parseLogsourceSelector(options.logsource) : 'all',
    ...(options.idField !== undefined ? { idField: options.idField } : {}),
    ...(options.timeField !== undefined ? { timeField: options.timeField } : {}),
  });

  /** Set once: from --source, else from the first record. */
  let source: SourceKind | undefined;
  const useSource = (kind: SourceKind): void => {
    if (options.logsource !== undefined && kind !== 'json') {
      throw new VigilError('VGL_CONFIG_INVALID', '--logsource narrows --source json only; other sources route by their own logsource', { field: '--logsource' });
    }
    source = kind;
  };
  if (flagged) useSource(flagged);

  let issues = 0;
  const read = await readRecords(
    options.events,
    { format: flagged === 'auditd' ? 'json-or-auditd' : 'json', code: 'VGL_RULE_EVENTS_INPUT', ...(out.signal ? { signal: out.signal } : {}), ...(out.ready ? { ready: () => out.ready!() } : {}) },
    {
      record(event: unknown, origin: RecordOrigin) {
        if (source === undefined) useSource(detectSource(event, origin) ?? undetectable(options.events));
        evaluation.evaluate(event, source!);
      },
      issue(e) {
        if (++issues <= SHOWN_ISSUES) logger.warn({ code: e.code, location: e.location }, e.message);
      },
    },
  );
  if (source === undefined && !out.signal?.aborted) undetectable(options.events);
  const correlations = evaluation.finish();
  logger.info(
    { events: evaluation.events, detections: evaluation.hits, correlations, inputProblems: issues, bytesRead: read.bytes, ruleLoadCpuMs: ruleLoadMs, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) },
    issues > SHOWN_ISSUES ? `rules eval done; ${issues - SHOWN_ISSUES} more input problems not shown` : 'rules eval done',
  );
  return { detections: evaluation.hits, correlations };
}

function parseSource(flag: string): SourceKind {
  const parsed = SourceKindSchema.safeParse(flag);
  if (!parsed.success) throw new VigilError('VGL_CONFIG_INVALID', `--source must be one of ${SourceKindSchema.options.join(', ')}, got '${flag}'`, { field: '--source' });
  return parsed.data;
}

function undetectable(file: string): never {
  throw new VigilError('VGL_RULE_EVENTS_INPUT', 'cannot tell which source these events come from; pass --source', { file });
}
