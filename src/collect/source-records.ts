/**
 * The minimal shape a record must have to be published as an event of a source (zod, loose: every
 * other field is kept as the source wrote it). A file of the wrong kind, or a garbled line, fails here
 * with a reason instead of reaching ingest as an event no rule can match.
 */
import { z } from 'zod';
import type { SourceKind } from '../model/source';

const anyObject = z.looseObject({});

const shapes: Record<SourceKind, z.ZodType<Record<string, unknown>>> = {
  cloudtrail: z.looseObject({ eventName: z.string().min(1), eventSource: z.string().min(1), eventTime: z.string() }),
  // audit.k8s.io/v1 Event (what the log and webhook backends write)
  k8s_audit: z.looseObject({ kind: z.literal('Event'), auditID: z.string().min(1), verb: z.string(), stage: z.string() }),
  // Falco's json_output alert
  falco: z.looseObject({ rule: z.string().min(1), output: z.string(), priority: z.string(), time: z.string() }),
  // Sigma linux process_creation fields (as the procfs collector writes them)
  process: anyObject.refine((r) => typeof r['Image'] === 'string' || typeof r['CommandLine'] === 'string', 'a process event needs Image or CommandLine'),
  auditd: z.looseObject({ type: z.string().min(1) }),
  json: anyObject,
};

/** The record as an event of `source`, or the first reason it is not one ("field: problem"). */
export function checkRecord(source: SourceKind, value: unknown): { ok: true; data: Record<string, unknown> } | { ok: false; reason: string; field?: string } {
  const parsed = shapes[source].safeParse(value);
  if (parsed.success) return { ok: true, data: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.');
  return { ok: false, reason: `not a ${source} event: ${issue.message}`, ...(field ? { field } : {}) };
}
