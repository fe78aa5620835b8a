/**
 * Linear-time wildcard matching for Sigma strings with `*` and `?` in any position. The pattern is
 * cut at `*` into fixed-length segments; the first is anchored at the start, the last at the end,
 * and the middle ones are found leftmost-first, which is optimal for fixed-length segments, so
 * matching never backtracks (no ReDoS through wildcards).
 */
import { ANY, ONE, type SigmaString } from './sigma-string';

/** A fixed-length piece of the pattern; `single[i]` marks a `?` at offset i. */
interface Segment {
  readonly text: string;
  readonly single: readonly boolean[] | null;
}

export interface Glob {
  /** Segment before the first `*` (must match at offset 0); null when the pattern starts with `*`. */
  readonly head: Segment | null;
  readonly middle: readonly Segment[];
  /** Segment after the last `*`; null when the pattern ends with `*`. With no `*` at all, only head is set and must span the whole value. */
  readonly tail: Segment | null;
  readonly hasAny: boolean;
}

export function compileGlob(pattern: SigmaString, transform: (literal: string) => string): Glob {
  const segments: Segment[] = [];
  let text = '';
  let single: boolean[] = [];
  const flush = () => {
    segments.push({ text, single: single.some(Boolean) ? single : null });
    text = '';
    single = [];
  };
  for (const part of pattern.parts) {
    if (part === ANY) flush();
    else if (part === ONE) {
      text += '?';
      single.push(true);
    } else {
      const lit = transform(part);
      text += lit;
      for (let i = 0; i < lit.length; i++) single.push(false);
    }
  }
  flush();
  if (segments.length === 1) return { head: segments[0]!, middle: [], tail: null, hasAny: false };
  const head = segments[0]!;
  const tail = segments[segments.length - 1]!;
  return {
    head: head.text === '' ? null : head,
    middle: segments.slice(1, -1).filter((s) => s.text !== ''),
    tail: tail.text === '' ? null : tail,
    hasAny: true,
  };
}

function matchesAt(seg: Segment, value: string, at: number): boolean {
  if (seg.single === null) return value.startsWith(seg.text, at);
  if (at + seg.text.length > value.length) return false;
  for (let i = 0; i < seg.text.length; i++) {
    if (!seg.single[i] && seg.text.charCodeAt(i) !== value.charCodeAt(at + i)) return false;
  }
  return true;
}

function find(seg: Segment, value: string, from: number, limit: number): number {
  if (seg.single === null) {
    const at = value.indexOf(seg.text, from);
    return at !== -1 && at + seg.text.length <= limit ? at : -1;
  }
  for (let at = from; at + seg.text.length <= limit; at++) if (matchesAt(seg, value, at)) return at;
  return -1;
}

export function globMatches(glob: Glob, value: string): boolean {
  if (!glob.hasAny) return glob.head!.text.length === value.length && matchesAt(glob.head!, value, 0);
  let start = 0;
  let end = value.length;
  if (glob.head) {
    if (!matchesAt(glob.head, value, 0)) return false;
    start = glob.head.text.length;
  }
  if (glob.tail) {
    end -= glob.tail.text.length;
    if (end < start || !matchesAt(glob.tail, value, end)) return false;
  }
  for (const seg of glob.middle) {
    const at = find(seg, value, start, end);
    if (at === -1) return false;
    start = at + seg.text.length;
  }
  return true;
}
