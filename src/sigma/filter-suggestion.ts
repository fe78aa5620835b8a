/**
 * A candidate Sigma filter (Sigma filters specification: a document whose `filter` names rules and whose condition is
 * ANDed onto theirs) that excludes one false-positive event from one rule: a `filter_fp_*` selection of the event's
 * most specific fields, and `condition: not filter_fp_*`. The rule's own file stays as it is; the filter is a new
 * file for an analyst to review.
 *
 * "Most specific" fields: scalar fields that name who, where and what (user, host, namespace, image, command line,
 * user agent…), never the fields the rule's detection already tests (a filter on them would disable the rule), nor
 * per-event values (times, ids, sequence numbers) that would never match a second event.
 */
import type { Logsource } from '../model/source';

/** At most this many fields in the selection: enough to be specific, few enough to catch the next such event. */
const MAX_FILTER_FIELDS = 3;
const MAX_VALUE_CHARS = 256;

/** Last path segments that identify a person, a machine, a workload or a program: preferred, in this order. */
const SPECIFIC = /(user(name)?|principal|arn|account|role|host(name)?|node|namespace|image|exe|executable|command(line)?|cmdline|parent|process|useragent|sourceipaddress|service|group|resource|name)$/i;
/** Per-event values: never the same in the next event. */
const VOLATILE_KEY = /(^|_)(id|uid|pid|ppid|tid|uuid|guid|seq|sequence|serial|nonce)$|id$|ids$|time$|timestamp$|date$|^ts$|^@/i;
const VOLATILE_VALUE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export interface FilterField {
  path: string;
  value: string | number | boolean;
}

/** The field names a detection map tests (`field|modifier` keys of its selections), without modifiers. */
export function detectionFields(detection: Readonly<Record<string, unknown>>): Set<string> {
  const fields = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        fields.add(key.split('|')[0]!);
        visit(value);
      }
    }
  };
  for (const [name, search] of Object.entries(detection)) if (name !== 'condition') visit(search);
  return fields;
}

function scalars(value: unknown, prefix: string, out: FilterField[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, v] of Object.entries(value)) {
    if (!PLAIN_KEY.test(key)) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push({ path, value: v });
    else scalars(v, path, out);
  }
}

/** The event's most specific fields the rule does not already test, most telling first. */
export function filterFields(event: unknown, ruleFields: ReadonlySet<string>): FilterField[] {
  const all: FilterField[] = [];
  scalars(event, '', all);
  const usable = all.filter(({ path, value }) => {
    const last = path.slice(path.lastIndexOf('.') + 1);
    if (ruleFields.has(path) || ruleFields.has(last) || VOLATILE_KEY.test(last)) return false;
    if (typeof value === 'string') return value.trim() !== '' && value.length <= MAX_VALUE_CHARS && !VOLATILE_VALUE.test(value);
    return typeof value === 'boolean' || Number.isInteger(value);
  });
  const rank = (f: FilterField): number => (SPECIFIC.test(f.path.slice(f.path.lastIndexOf('.') + 1)) ? 0 : typeof f.value === 'string' ? 1 : 2);
  return usable
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
    .slice(0, MAX_FILTER_FIELDS)
    .map(({ f }) => f);
}

/** A Sigma string matching the value exactly: wildcards and backslashes escaped, then a YAML double-quoted scalar. */
function sigmaValue(value: string | number | boolean): string {
  return typeof value === 'string' ? JSON.stringify(value.replace(/[\\*?]/g, (c) => `\\${c}`)) : String(value);
}

export interface FilterDocument {
  ruleId: string;
  ruleTitle: string;
  logsource: Logsource;
  /** Names the selection `filter_fp_<tag>`; letters, digits and underscores. */
  tag: string;
  /** A fresh UUID for the filter's own id. */
  id: string;
  description: string;
  fields: readonly FilterField[];
}

export function filterYaml(doc: FilterDocument): string {
  const selection = `filter_fp_${doc.tag}`;
  const logsource = Object.entries(doc.logsource).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
  return [
    `title: ${JSON.stringify(`Candidate filter: ${doc.ruleTitle} false positive`)}`,
    `id: ${doc.id}`,
    'status: experimental',
    `description: ${JSON.stringify(doc.description)}`,
    ...(logsource.length > 0 ? ['logsource:', ...logsource] : []),
    'filter:',
    '  rules:',
    `    - ${JSON.stringify(doc.ruleId)}`,
    `  ${selection}:`,
    ...doc.fields.map((f) => `    ${JSON.stringify(f.path)}: ${sigmaValue(f.value)}`),
    `  condition: not ${selection}`,
    '',
  ].join('\n');
}
