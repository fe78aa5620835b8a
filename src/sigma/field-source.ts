/**
 * Where a rule field's values come from in a raw event. Dotted names address nested JSON; a path
 * through an array yields every element's value ("any element matches"); where the nested path
 * does not continue, the rest of the name is tried as one literal key containing dots
 * (`annotations."authorization.k8s.io/decision"`, or flattened events such as `{"a.b": 1}`).
 * Pipelines (pipeline.ts) may map a field to several paths or to a value derived from the event.
 */
export type FieldSource =
  | { readonly kind: 'path'; readonly key: string; readonly segments: readonly string[]; readonly suffixes: readonly string[] }
  | { readonly kind: 'paths'; readonly key: string; readonly sources: readonly FieldSource[] }
  | { readonly kind: 'derived'; readonly key: string; readonly extract: (event: unknown) => unknown[] }
  /** Keyword search: every string anywhere in the event. */
  | { readonly kind: 'keywords'; readonly key: string };

export function pathSource(field: string): FieldSource {
  const segments = field.split('.');
  return { kind: 'path', key: `path:${field}`, segments, suffixes: segments.map((_, i) => segments.slice(i).join('.')) };
}

export const keywordSource: FieldSource = { kind: 'keywords', key: 'keywords' };

/** Arrays nested in arrays, and keyword search, go this deep and no deeper (bounded recursion on hostile events). */
const maxNesting = 64;

/** Collects the leaf values of a field: never arrays (they are flattened), null kept, missing omitted. */
export function resolveField(source: FieldSource, event: unknown, out: unknown[]): void {
  switch (source.kind) {
    case 'path':
      collectPath(event, source.segments, source.suffixes, 0, out);
      return;
    case 'paths':
      for (const s of source.sources) resolveField(s, event, out);
      return;
    case 'derived':
      for (const v of source.extract(event)) flatten(v, out);
      return;
    case 'keywords':
      collectStrings(event, out);
      return;
  }
}

function flatten(v: unknown, out: unknown[], depth = 0): void {
  if (!Array.isArray(v)) {
    if (v !== undefined) out.push(v);
  } else if (depth < maxNesting) {
    for (const el of v) flatten(el, out, depth + 1);
  }
}

function collectPath(start: unknown, segments: readonly string[], suffixes: readonly string[], from: number, out: unknown[], depth = 0): void {
  let node = start;
  for (let i = from; ; i++) {
    if (Array.isArray(node)) {
      if (depth < maxNesting) for (const el of node) collectPath(el, segments, suffixes, i, out, depth + 1);
      return;
    }
    if (i === segments.length) {
      if (node !== undefined) out.push(node);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    node = obj[segments[i]!];
    if (node === undefined && i < segments.length - 1) {
      // No nested path: the rest may be one literal key (`authorization.k8s.io/decision`).
      node = obj[suffixes[i]!];
      i = segments.length - 1;
    }
    // Events are JSON: a function can only come from Object.prototype (`constructor`, `toString`).
    if (node === undefined || typeof node === 'function') return;
  }
}


function collectStrings(node: unknown, out: unknown[], depth = 0): void {
  if (typeof node === 'string') out.push(node);
  else if (depth >= maxNesting || node === null || typeof node !== 'object') return;
  else if (Array.isArray(node)) for (const el of node) collectStrings(el, out, depth + 1);
  else for (const key in node) collectStrings((node as Record<string, unknown>)[key], out, depth + 1);
}
