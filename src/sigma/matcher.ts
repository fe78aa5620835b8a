/**
 * Compiled matchers: a closed union evaluated by exhaustive switches. The compiler (compile.ts)
 * did the costly work (lower-casing, RE2 build, CIDR parse); evaluation only compares.
 * Semantics (Reference: Sigma specification 2.x; pySigma / rsigma behaviour):
 * - a field item matches when some leaf value satisfies some value matcher (arrays: any element);
 * - a missing field satisfies nothing except `null` and `exists: false`, so `not sel` over a
 *   missing field is true;
 * - strings compare with numbers and booleans through their JSON text ('403' matches 403);
 *   numbers compare numerically with numbers and numeric strings (403 matches '403').
 */
import type { RE2JS } from 're2js';
import { EventView, stringForm, type FieldSlot } from './event-view';
import { globMatches, type Glob } from './glob';
import { networkContains, parseIp, type IpNetwork } from './network';
import { timePartOf, type TimePart } from './time-part';

export type CompareOp = 'eq' | 'gt' | 'gte' | 'lt' | 'lte';

/**
 * Compares one leaf value. **Invariant**: for case-insensitive variants (`cased: false`) `text`
 * and the glob are already lower-cased and are compared with the lower-cased leaf.
 */
export type ValueMatcher =
  | { readonly kind: 'equals'; readonly text: string; readonly cased: boolean }
  | { readonly kind: 'startsWith'; readonly text: string; readonly cased: boolean }
  | { readonly kind: 'endsWith'; readonly text: string; readonly cased: boolean }
  | { readonly kind: 'contains'; readonly text: string; readonly cased: boolean }
  | { readonly kind: 'glob'; readonly glob: Glob; readonly cased: boolean }
  | { readonly kind: 'regex'; readonly regex: RE2JS; readonly pattern: string }
  | { readonly kind: 'cidr'; readonly network: IpNetwork }
  | { readonly kind: 'number'; readonly op: CompareOp; readonly value: number }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'timePart'; readonly part: TimePart; readonly op: CompareOp; readonly value: number };

/**
 * One rule value after expansion: matches if any matcher matches some leaf, or (orNull) if the
 * field has no non-null value. Negated (`neq`): the field has a non-null value and no matcher
 * matches any leaf (Reference: rsigma, where neq wraps the value matcher in Not).
 */
export interface MatcherGroup {
  readonly matchers: readonly ValueMatcher[];
  readonly orNull: boolean;
  readonly negated: boolean;
}

export type ItemMatcher =
  /** Every group must match (one group unless the `all` modifier is used). */
  | { readonly kind: 'values'; readonly field: FieldSlot; readonly groups: readonly MatcherGroup[] }
  /** `exists`: the field is present with a non-null value (expected true) or is not (false). */
  | { readonly kind: 'exists'; readonly field: FieldSlot; readonly expected: boolean }
  /** `fieldref`: some value of `field` equals some value of `other`. */
  | { readonly kind: 'fieldref'; readonly field: FieldSlot; readonly other: FieldSlot; readonly cased: boolean };

/** A search identifier: OR of alternatives, each an AND of items. */
export interface CompiledSearch {
  readonly name: string;
  readonly alternatives: readonly (readonly ItemMatcher[])[];
}

export type ConditionMatcher =
  | { readonly kind: 'and'; readonly nodes: readonly ConditionMatcher[] }
  | { readonly kind: 'or'; readonly nodes: readonly ConditionMatcher[] }
  | { readonly kind: 'not'; readonly node: ConditionMatcher }
  | { readonly kind: 'search'; readonly search: CompiledSearch };

export function evaluateCondition(node: ConditionMatcher, view: EventView): boolean {
  switch (node.kind) {
    case 'and':
      for (const n of node.nodes) if (!evaluateCondition(n, view)) return false;
      return true;
    case 'or':
      for (const n of node.nodes) if (evaluateCondition(n, view)) return true;
      return false;
    case 'not':
      return !evaluateCondition(node.node, view);
    case 'search':
      return searchMatches(node.search, view);
  }
}

function searchMatches(search: CompiledSearch, view: EventView): boolean {
  outer: for (const items of search.alternatives) {
    for (const item of items) if (!itemMatches(item, view)) continue outer;
    return true;
  }
  return false;
}

function itemMatches(item: ItemMatcher, view: EventView): boolean {
  switch (item.kind) {
    case 'values': {
      for (const group of item.groups) if (!groupMatches(group, item.field, view)) return false;
      return true;
    }
    case 'exists':
      return view.leaves(item.field).some((v) => v !== null) === item.expected;
    case 'fieldref': {
      const left = item.cased ? view.leaves(item.field).map(stringForm) : view.lowered(item.field);
      const right = item.cased ? view.leaves(item.other).map(stringForm) : view.lowered(item.other);
      return left.some((l) => l !== undefined && right.includes(l));
    }
  }
}

function groupMatches(group: MatcherGroup, field: FieldSlot, view: EventView): boolean {
  const leaves = view.leaves(field);
  if (group.negated) return leaves.some((v) => v !== null) && !anyMatches(group, leaves, field, view);
  if (group.orNull && !leaves.some((v) => v !== null)) return true;
  return anyMatches(group, leaves, field, view);
}

function anyMatches(group: MatcherGroup, leaves: unknown[], field: FieldSlot, view: EventView): boolean {
  for (const m of group.matchers) {
    for (let i = 0; i < leaves.length; i++) if (valueMatches(m, leaves, i, field, view)) return true;
  }
  return false;
}

function textOf(cased: boolean, leaves: unknown[], i: number, field: FieldSlot, view: EventView): string | undefined {
  return cased ? stringForm(leaves[i]) : view.lowered(field)[i];
}

function valueMatches(m: ValueMatcher, leaves: unknown[], i: number, field: FieldSlot, view: EventView): boolean {
  switch (m.kind) {
    case 'equals':
      return textOf(m.cased, leaves, i, field, view) === m.text;
    case 'startsWith':
      return textOf(m.cased, leaves, i, field, view)?.startsWith(m.text) === true;
    case 'endsWith':
      return textOf(m.cased, leaves, i, field, view)?.endsWith(m.text) === true;
    case 'contains':
      return textOf(m.cased, leaves, i, field, view)?.includes(m.text) === true;
    case 'glob': {
      const text = textOf(m.cased, leaves, i, field, view);
      return text !== undefined && globMatches(m.glob, text);
    }
    case 'regex': {
      const text = stringForm(leaves[i]);
      return text !== undefined && m.regex.test(text);
    }
    case 'cidr': {
      const text = leaves[i];
      if (typeof text !== 'string') return false;
      const address = parseIp(text);
      return address !== undefined && networkContains(m.network, address);
    }
    case 'number':
      return compare(numberOf(leaves[i]), m.op, m.value);
    case 'timePart':
      return compare(timePartOf(leaves[i], m.part), m.op, m.value);
    case 'boolean': {
      const v = leaves[i];
      if (typeof v === 'boolean') return v === m.value;
      if (typeof v !== 'string') return false;
      // Reference: rsigma BoolEq accepts true/1/yes and false/0/no in string fields.
      const text = v.toLowerCase();
      return m.value ? text === 'true' || text === '1' || text === 'yes' : text === 'false' || text === '0' || text === 'no';
    }
  }
}

function compare(n: number | undefined, op: CompareOp, value: number): boolean {
  if (n === undefined) return false;
  switch (op) {
    case 'eq':
      return n === value;
    case 'gt':
      return n > value;
    case 'gte':
      return n >= value;
    case 'lt':
      return n < value;
    case 'lte':
      return n <= value;
  }
}

const numeric = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$|^\s*0[xX][0-9a-fA-F]+\s*$/;

/** Numbers and numeric strings ('42', ' 4.5 ', '0x1F') as numbers; anything else undefined. */
export function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && numeric.test(v)) return Number(v);
  return undefined;
}
