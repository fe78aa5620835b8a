/**
 * The one offline evaluation path, shared by `vigil rules eval` (events from a file) and `vigil hunt`
 * (events from the archive): each event is matched as it arrives and its detection lines written at
 * once; detections are kept only when correlation rules need them, and `finish` runs the correlation
 * pass (the correlator workflow's core, correlation/offline.ts) and writes its hits. Output lines are
 * the `rules eval` contract (see rules-eval.ts).
 */
import { epochMsOf, eventTimeOf } from '../collect/event-time';
import { correlateOffline } from '../correlation/offline';
import type { CorrelationHit } from '../correlation/hit';
import { DetectionFields } from '../ingest/detection-fields';
import type { Detection, RuleRef } from '../model/detection';
import type { SourceKind } from '../model/source';
import type { CompiledRuleSet, RuleSelector } from '../sigma';
import { sourceFieldReader, type FieldReader } from '../sigma/field-reader';

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

export interface EvaluationOptions {
  /** Rules applied to `json` events (all rules without a logsource, or eval's `--logsource`). */
  readonly selector: RuleSelector;
  readonly idField?: string;
  readonly timeField?: string;
}

/** What the caller knows of an event beyond its fields (the archive's envelope). */
export interface KnownFields {
  /** Event time (epoch ms) as ingest stamped it; otherwise read from the event as collectors read it. */
  readonly time?: number;
  /** Reported when the event has no id field value; otherwise its index. */
  readonly id?: string;
}

export class RuleEvaluation {
  /** Events evaluated so far; the next one's index. */
  events = 0;
  /** Detection lines written. */
  hits = 0;
  private readonly readers = new Map<SourceKind, { id: FieldReader; time: FieldReader | undefined }>();
  private readonly prefixes = new Map<RuleRef, string>();
  private readonly correlationFields: DetectionFields;
  private readonly detections: Detection[] = [];
  private lastTime = 0;

  constructor(
    private readonly ruleSet: CompiledRuleSet,
    private readonly out: EvalOutput,
    private readonly options: EvaluationOptions,
  ) {
    this.correlationFields = new DetectionFields(ruleSet.correlations, ruleSet.rules);
  }

  /** Matches one event, writes its detection lines, and returns the rules it matched. */
  evaluate(event: unknown, kind: SourceKind, known: KnownFields = {}): RuleRef[] {
    const i = this.events++;
    const rules: RuleRef[] = kind === 'json' ? this.ruleSet.matchSelected(event, this.options.selector).map((r) => r.ref) : this.ruleSet.match(event, kind);
    if (rules.length === 0) return rules;
    const readers = this.readersOf(kind);
    const idValue = readers.id.scalar(event);
    const id = typeof idValue === 'string' || typeof idValue === 'number' ? String(idValue) : (known.id ?? String(i));
    for (const rule of rules) this.out.write(`${this.detectionPrefix(rule)}${i},"id":${JSON.stringify(id)}}}`);
    this.hits += rules.length;
    if (this.ruleSet.correlations.length === 0) return rules;
    // Without --time-field, the source's own time fields, as collectors stamp events (collect/event-time.ts).
    this.lastTime = known.time ?? (readers.time ? (epochMsOf(readers.time.scalar(event)) ?? this.lastTime) : eventTimeOf(kind, event, this.lastTime));
    this.detections.push({
      eventId: id,
      tenant: 'offline',
      source: kind,
      time: this.lastTime,
      rules,
      entities: [],
      fields: this.correlationFields.read(kind, event, rules),
      summary: '',
      rulesetVersion: this.ruleSet.version,
    });
    return rules;
  }

  /** Runs the correlation pass over the detections kept and writes its hits; returns how many. */
  finish(): number {
    if (this.ruleSet.correlations.length === 0 || this.out.signal?.aborted) return 0;
    const hits = correlateOffline(this.ruleSet.correlations, this.detections);
    for (const hit of hits) this.out.write(JSON.stringify(correlationJson(hit)));
    return hits.length;
  }

  /** Fields are read as ingest reads them: the matcher's readers (arrays, pipeline mappings), built once per source. */
  private readersOf(kind: SourceKind): { id: FieldReader; time: FieldReader | undefined } {
    let readers = this.readers.get(kind);
    if (!readers) {
      readers = {
        id: sourceFieldReader(kind, this.options.idField ?? defaultIdField[kind]),
        time: this.options.timeField === undefined ? undefined : sourceFieldReader(kind, this.options.timeField),
      };
      this.readers.set(kind, readers);
    }
    return readers;
  }

  /** Each rule's part of its detection lines is serialised once: the hot path only adds the event. */
  private detectionPrefix(rule: RuleRef): string {
    let prefix = this.prefixes.get(rule);
    if (prefix === undefined) {
      prefix = JSON.stringify({ type: 'detection', rule: ruleJson(rule), event: { index: 0 } }).slice(0, -'0}}'.length);
      this.prefixes.set(rule, prefix);
    }
    return prefix;
  }
}

/** `shadow: true` only on shadow rules, so a rule set without any writes the lines it always wrote. */
function ruleJson(rule: RuleRef) {
  return { id: rule.id, name: rule.name ?? null, title: rule.title, level: rule.level, ...(rule.shadow ? { shadow: true } : {}) };
}

function correlationJson(hit: CorrelationHit) {
  return { type: 'correlation', rule: ruleJson(hit.rule), group: hit.group, events: hit.eventIds, ...(hit.kind === 'absence' ? { kind: 'absence' } : {}) };
}
