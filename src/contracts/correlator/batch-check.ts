/**
 * The correlator's check of a `detectionBatch` signal, run in its signal handler. Ingest only sends well-formed
 * batches, but anyone with access to the namespace can signal a correlator (`temporal workflow signal`, a buggy
 * sender), and a signal cannot be refused: a malformed detection that reached the queue would fail every workflow
 * task that applies it, and so wedge the entity for good. The handler therefore keeps only detections of the right
 * shape and tenant and counts the rest.
 *
 * Hand-written rather than zod: it runs inside the workflow sandbox on every detection of every batch, and must
 * be deterministic and cheap. It checks what the correlator and the correlation core read; values stay as sent.
 */
import type { Detection } from '../../model/detection';
import { entityTypes } from '../../model/entity';
import { sourceKinds } from '../../model/source';
import type { DetectionBatch } from './messages';

/** Why one detection (or the whole batch, `index` -1) was dropped: the field and the reason. */
export interface BatchRejection {
  index: number;
  field: string;
  reason: string;
}

export interface CheckedBatch {
  /** The batch with only its well-formed detections; undefined when the batch itself is unusable. */
  batch?: DetectionBatch;
  rejected: BatchRejection[];
}

const levels: ReadonlySet<string> = new Set(['informational', 'low', 'medium', 'high', 'critical']);
const entityTypeSet: ReadonlySet<string> = new Set(entityTypes);
const sourceSet: ReadonlySet<string> = new Set(sourceKinds);
/** Ids longer than this are not ids (the router dead-letters such entities before they get here). */
const MAX_ID = 512;
/** `vigil hunt` makes ids of about 30 characters; anything much longer is not one. */
const MAX_HUNT_ID = 128;

export interface BatchCheckOptions {
  /**
   * Whether this correlator run applies hunt results (`origin: 'hunt'`) as such. A run begun before the hunt
   * rule (HUNT_RESULTS_PATCH unset in its first activation) would apply them as live detections (start
   * playbooks for months-old events), so there they are dropped and counted until it continues as new.
   */
  readonly huntResults: boolean;
}

const isText = (v: unknown, max = Infinity): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first problem of one detection, as [field, reason], or undefined when it is well-formed for `tenant`. */
function problemOf(d: unknown, tenant: string, options: BatchCheckOptions): [string, string] | undefined {
  if (!isRecord(d)) return ['', 'must be an object'];
  if (!isText(d['eventId'], MAX_ID)) return ['eventId', 'must be a non-empty string of at most 512 characters'];
  if (d['tenant'] !== tenant) return ['tenant', `must be this correlator's tenant '${tenant}'`];
  if (typeof d['source'] !== 'string' || !sourceSet.has(d['source'])) return ['source', 'must be a known source kind'];
  if (typeof d['time'] !== 'number' || !Number.isFinite(d['time'])) return ['time', 'must be a finite number (epoch ms)'];
  const rules = d['rules'];
  if (!Array.isArray(rules) || rules.length === 0) return ['rules', 'must be a non-empty array'];
  for (const [i, r] of rules.entries()) {
    if (!isRecord(r) || !isText(r['id']) || typeof r['title'] !== 'string') return [`rules[${i}]`, 'must have a string id and title'];
    if (typeof r['level'] !== 'string' || !levels.has(r['level'])) return [`rules[${i}].level`, 'must be a Sigma level'];
    if (!Array.isArray(r['tags']) || !r['tags'].every((t) => typeof t === 'string')) return [`rules[${i}].tags`, 'must be an array of strings'];
    if (r['name'] !== undefined && typeof r['name'] !== 'string') return [`rules[${i}].name`, 'must be a string'];
  }
  const entities = d['entities'];
  if (!Array.isArray(entities)) return ['entities', 'must be an array'];
  for (const [i, e] of entities.entries()) {
    if (!isRecord(e) || typeof e['type'] !== 'string' || !entityTypeSet.has(e['type']) || !isText(e['id'], MAX_ID)) {
      return [`entities[${i}]`, 'must be {type, id} with a known type and an id of 1-512 characters'];
    }
  }
  const fields = d['fields'];
  if (!isRecord(fields)) return ['fields', 'must be an object'];
  for (const [k, v] of Object.entries(fields)) {
    if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return [`fields.${k}`, 'must be a string, number, boolean or null'];
  }
  if (typeof d['summary'] !== 'string') return ['summary', 'must be a string'];
  if (typeof d['rulesetVersion'] !== 'string') return ['rulesetVersion', 'must be a string'];
  return originProblem(d, options);
}

/** `origin` absent (live) or `hunt` with a hunt id; a hunt id only with `origin: 'hunt'`. */
function originProblem(d: Record<string, unknown>, options: BatchCheckOptions): [string, string] | undefined {
  if (d['origin'] === undefined) return d['huntId'] === undefined ? undefined : ['huntId', "is only allowed with origin 'hunt'"];
  if (d['origin'] !== 'hunt') return ['origin', "must be absent (live) or 'hunt'"];
  if (!isText(d['huntId'], MAX_HUNT_ID)) return ['huntId', `must be a non-empty string of at most ${MAX_HUNT_ID} characters with origin 'hunt'`];
  if (!options.huntResults) return ['origin', 'hunt results need a correlator run begun after hunt support (this one applies them once it continues as new)'];
  return undefined;
}

/** Splits a signalled batch into its well-formed detections and one rejection per dropped detection. */
export function checkDetectionBatch(batch: unknown, tenant: string, options: BatchCheckOptions): CheckedBatch {
  if (!isRecord(batch) || !isText(batch['batchId'], MAX_ID)) return { rejected: [{ index: -1, field: 'batchId', reason: 'must be a non-empty string of at most 512 characters' }] };
  const detections = batch['detections'];
  if (!Array.isArray(detections)) return { rejected: [{ index: -1, field: 'detections', reason: 'must be an array' }] };
  const kept: Detection[] = [];
  const rejected: BatchRejection[] = [];
  for (const [index, d] of detections.entries()) {
    const problem = problemOf(d, tenant, options);
    if (problem === undefined) kept.push(d as Detection);
    else rejected.push({ index, field: problem[0], reason: problem[1] });
  }
  if (rejected.length === 0) return { batch: batch as unknown as DetectionBatch, rejected };
  return { batch: { batchId: batch['batchId'], detections: kept }, rejected };
}
