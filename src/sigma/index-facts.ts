/**
 * Index facts: what the rule index may assume about an event a rule matches. For each rule we derive
 * a *requirement*, a set of facts about one field's lower-cased value (equals X, numerically equals
 * N, starts with X, ends with X, contains X) at least one of which holds for every event the rule
 * matches. Facts come from matchers on AND paths of the condition (an OR needs every branch to have
 * one; `not` gives none); a wildcard pattern or regex gives a literal piece it forces.
 * **Invariant**: every fact is implied by the rule matching, so indexing never skips a matching rule.
 */
import type { CompiledRule } from './compile';
import type { FieldSlot } from './event-view';
import type { Glob } from './glob';
import type { CompiledSearch, ConditionMatcher, ItemMatcher, ValueMatcher } from './matcher';
import { requiredLiteral } from './regex-literal';

/** `number`: the field's value is numerically equal to `text` (a canonical number, String(n)). */
export type FactKind = 'equals' | 'number' | 'prefix' | 'suffix' | 'substring';
export interface Fact {
  readonly slot: FieldSlot;
  readonly kind: FactKind;
  readonly text: string;
}
/** At least one fact holds for every matching event. */
export type Requirement = readonly Fact[];

function factKey(f: Fact): string {
  return `${f.slot.id}\u0000${f.kind}\u0000${f.text}`;
}

/**
 * Cost of a fact as an index key. Equality is a hash lookup; the others make the field's values go
 * through the automaton on every event, so they are used only where no equality fact exists.
 * Frequency (rules sharing the fact) breaks ties towards rarer, more selective facts.
 */
function kindCost(f: Fact): number {
  switch (f.kind) {
    case 'equals':
    case 'number':
      return 0;
    case 'prefix':
    case 'suffix':
      return 1_000 + 100 / f.text.length;
    case 'substring':
      return 2_000 + 100 / f.text.length;
  }
}

/** The longest literal piece a wildcard pattern forces into the value (a `?`-free run). */
function globFact(glob: Glob): { kind: FactKind; text: string } | null {
  let best: { kind: FactKind; text: string } | null = null;
  const consider = (kind: FactKind, text: string) => {
    if (text.length > 0 && (best === null || text.length > best.text.length)) best = { kind, text };
  };
  const runs = (text: string, single: readonly boolean[] | null): string[] =>
    single === null ? [text] : text.split('').reduce<string[]>((acc, ch, i) => (single[i] ? [...acc, ''] : [...acc.slice(0, -1), (acc[acc.length - 1] ?? '') + ch]), ['']);
  if (glob.head) {
    const r = runs(glob.head.text, glob.head.single);
    if (glob.hasAny && r.length === 1) consider('prefix', r[0]!);
    else r.forEach((t) => consider('substring', t));
  }
  if (glob.tail) {
    const r = runs(glob.tail.text, glob.tail.single);
    if (r.length === 1) consider('suffix', r[0]!);
    else r.forEach((t) => consider('substring', t));
  }
  for (const m of glob.middle) runs(m.text, m.single).forEach((t) => consider('substring', t));
  return best;
}

function matcherFact(m: ValueMatcher): { kind: FactKind; text: string } | null {
  switch (m.kind) {
    case 'equals':
      return { kind: 'equals', text: m.text.toLowerCase() };
    case 'startsWith':
      return m.text ? { kind: 'prefix', text: m.text.toLowerCase() } : null;
    case 'endsWith':
      return m.text ? { kind: 'suffix', text: m.text.toLowerCase() } : null;
    case 'contains':
      return m.text ? { kind: 'substring', text: m.text.toLowerCase() } : null;
    case 'glob': {
      const f = globFact(m.glob);
      return f && { kind: f.kind, text: f.text.toLowerCase() };
    }
    case 'regex': {
      const literal = requiredLiteral(m.pattern);
      return literal === undefined ? null : { kind: 'substring', text: literal.toLowerCase() };
    }
    case 'number':
      return m.op === 'eq' ? { kind: 'number', text: String(m.value) } : null;
    case 'cidr':
    case 'boolean':
    case 'timePart':
      return null;
  }
}

/** Each group of a values item that yields a fact for every one of its matchers is a requirement. */
function itemRequirements(item: ItemMatcher): Requirement[] {
  if (item.kind !== 'values') return [];
  const out: Requirement[] = [];
  for (const g of item.groups) {
    if (g.orNull || g.negated || g.matchers.length === 0) continue;
    const facts = g.matchers.map(matcherFact);
    if (facts.every((f) => f !== null)) out.push(facts.map((f) => ({ slot: item.field, ...f! })));
  }
  return out;
}

/** How many rules mention each fact, and how many rules have some fact on each field. */
function factFrequency(rules: readonly CompiledRule[]): { facts: Map<string, number>; fields: Map<number, number> } {
  const facts = new Map<string, number>();
  const fields = new Map<number, number>();
  const walk = (node: ConditionMatcher, seen: Set<string>, slots: Set<number>): void => {
    if (node.kind === 'and' || node.kind === 'or') node.nodes.forEach((n) => walk(n, seen, slots));
    else if (node.kind === 'not') walk(node.node, seen, slots);
    else if (node.kind === 'search') {
      for (const alt of node.search.alternatives) {
        for (const item of alt) {
          for (const req of itemRequirements(item)) {
            for (const f of req) {
              seen.add(factKey(f));
              slots.add(f.slot.id);
            }
          }
        }
      }
    }
  };
  for (const rule of rules) {
    const seen = new Set<string>();
    const slots = new Set<number>();
    walk(rule.condition, seen, slots);
    for (const k of seen) facts.set(k, (facts.get(k) ?? 0) + 1);
    for (const k of slots) fields.set(k, (fields.get(k) ?? 0) + 1);
  }
  return { facts, fields };
}

function best(options: Requirement[], score: (r: Requirement) => number): Requirement | null {
  let chosen: Requirement | null = null;
  let chosenScore = Infinity;
  for (const o of options) {
    const s = score(o);
    if (s < chosenScore) {
      chosen = o;
      chosenScore = s;
    }
  }
  return chosen;
}

function union(parts: (Requirement | null)[]): Requirement | null {
  if (parts.some((p) => p === null)) return null;
  return (parts as Requirement[]).flat();
}

function searchRequirement(search: CompiledSearch, score: (r: Requirement) => number): Requirement | null {
  return union(search.alternatives.map((alt) => best(alt.flatMap(itemRequirements), score)));
}

function requirementOf(node: ConditionMatcher, score: (r: Requirement) => number): Requirement | null {
  switch (node.kind) {
    case 'and':
      return best(
        node.nodes.map((n) => requirementOf(n, score)).filter((r): r is Requirement => r !== null),
        score,
      );
    case 'or':
      return union(node.nodes.map((n) => requirementOf(n, score)));
    case 'search':
      return searchRequirement(node.search, score);
    case 'not':
      return null;
  }
}

/**
 * Requirements that each hold on their own for every matching event (the conjuncts of the
 * condition): children of an AND, and the items of a single-alternative search.
 */
function conjuncts(node: ConditionMatcher, score: (r: Requirement) => number): Requirement[] {
  if (node.kind === 'and') return node.nodes.flatMap((n) => conjuncts(n, score));
  if (node.kind === 'search' && node.search.alternatives.length === 1) return node.search.alternatives[0]!.flatMap(itemRequirements);
  const r = requirementOf(node, score);
  return r === null ? [] : [r];
}

const isEquality = (r: Requirement) => r.every((f) => f.kind === 'equals' || f.kind === 'number');

/**
 * Per rule, the requirements the index checks: none (null: evaluate the rule for every event),
 * one, or two that must both hold. A second requirement is taken only when the best one is not an
 * equality (prefix/suffix/substring facts are common, e.g. `system:serviceaccount:`) and another
 * conjunct on a different field exists, so such rules become candidates only when both fields agree.
 */
export function requirementsFor(rules: readonly CompiledRule[]): (Requirement[] | null)[] {
  const { facts, fields } = factFrequency(rules);
  // Every indexed field costs a lookup per event, so facts on fields many rules can use are
  // preferred; among those, rarer facts (fewer rules share them) are more selective.
  const score = (r: Requirement) =>
    r.reduce((sum, f) => sum + kindCost(f) + 100 / (fields.get(f.slot.id) ?? 1) + (facts.get(factKey(f)) ?? 0) / 100, 0);
  return rules.map((rule) => {
    const first = requirementOf(rule.condition, score);
    if (first === null || isEquality(first)) return first && [first];
    const slots = new Set(first.map((f) => f.slot.id));
    const second = best(
      conjuncts(rule.condition, score).filter((r) => r.every((f) => !slots.has(f.slot.id))),
      score,
    );
    return second === null ? [first] : [first, second];
  });
}
