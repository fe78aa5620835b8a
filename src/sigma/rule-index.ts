/**
 * Literal index over the rules of one logsource bucket, so an event is evaluated only against
 * rules that could match it. For each rule we derive a *requirement*: a set of literal facts about
 * one field's lower-cased value (equals X, starts with X, ends with X, contains X) such that every
 * event the rule matches satisfies at least one of them. They come from matchers on AND paths of
 * the condition (an OR needs every branch to have one; `not` gives none); a wildcard pattern gives
 * its longest literal piece. Equality facts are looked up in a hash map, prefix and suffix facts
 * in tries, substring facts found in one Aho-Corasick pass per field value. Rules without a requirement are evaluated for every event.
 * **Invariant**: facts are lower-cased exactly as EventView.lowered lower-cases event values, and
 * every fact is implied by the rule matching, so the index only ever skips rules that cannot match.
 */
import type { CompiledRule } from './compile';
import type { EventView, FieldSlot } from './event-view';
import type { Glob } from './glob';
import { LiteralAutomaton } from './literal-automaton';
import { LiteralTrie } from './literal-trie';
import { requiredLiteral } from './regex-literal';
import { numberOf, type CompiledSearch, type ConditionMatcher, type ItemMatcher, type ValueMatcher } from './matcher';

/** Up to this many substring patterns per field, native String.includes beats one automaton pass. */
const FEW_PATTERNS = 4;

/** `number`: the field's value is numerically equal to `text` (a canonical number, String(n)). */
type FactKind = 'equals' | 'number' | 'prefix' | 'suffix' | 'substring';
interface Fact {
  readonly slot: FieldSlot;
  readonly kind: FactKind;
  readonly text: string;
}
/** At least one fact holds for every matching event. */
type Requirement = readonly Fact[];

interface FieldIndex {
  readonly slot: FieldSlot;
  readonly equals: Map<string, number[]>;
  readonly numbers: Map<string, number[]>;
  readonly prefixes: LiteralTrie;
  readonly suffixes: LiteralTrie;
  /** Substring facts; `substringRules[pattern id]` are the rules needing that pattern. */
  readonly substrings: LiteralAutomaton;
  readonly substringRules: number[][];
  /** Pattern texts by id, for the native-search path used when there are few. */
  readonly substringTexts: string[];
  readonly patternIds: Map<string, number>;
}

export class RuleIndex {
  private readonly fields: FieldIndex[] = [];
  private readonly always: number[] = [];
  private readonly seen: Uint32Array;
  private stamp = 0;
  /** The candidate list being built by the current candidates() call. */
  private out: number[] = [];
  /** Scratch buffer of (pattern, end) pairs from the automaton, reused across events. */
  private readonly hits: number[] = [];

  constructor(readonly rules: readonly CompiledRule[]) {
    this.seen = new Uint32Array(rules.length);
    const { facts, fields } = factFrequency(rules);
    // Every indexed field costs a lookup per event, so facts on fields many rules can use are
    // preferred; among those, rarer facts (fewer rules share them) are more selective.
    const score = (r: Requirement) =>
      r.reduce((sum, f) => sum + kindCost(f) + 100 / (fields.get(f.slot.id) ?? 1) + (facts.get(factKey(f)) ?? 0) / 100, 0);
    rules.forEach((rule, i) => {
      const req = requirementOf(rule.condition, score);
      if (req === null) this.always.push(i);
      else for (const fact of req) this.add(fact, i);
    });
    for (const f of this.fields) {
      f.substrings.build();
      f.prefixes.compress();
      f.suffixes.compress();
    }
  }

  /** How many rules are reachable only through the index (the rest run for every event). */
  get indexedCount(): number {
    return this.rules.length - this.always.length;
  }

  /** Indices of the rules worth evaluating for the event in `view`, ascending. */
  candidates(view: EventView): readonly number[] {
    if (this.fields.length === 0) return this.always;
    if (++this.stamp === 0xffffffff) {
      this.seen.fill(0);
      this.stamp = 1;
    }
    const out: number[] = [];
    this.out = out;
    const hits = this.hits;
    for (let f = 0; f < this.fields.length; f++) {
      const field = this.fields[f]!;
      if (field.numbers.size > 0) {
        for (const leaf of view.leaves(field.slot)) {
          const n = numberOf(leaf);
          const list = n === undefined ? undefined : field.numbers.get(String(n));
          if (list !== undefined) this.mark(list);
        }
      }
      const values = view.lowered(field.slot);
      for (let v = 0; v < values.length; v++) {
        const value = values[v];
        if (value === undefined) continue;
        const eq = field.equals.get(value);
        if (eq !== undefined) this.mark(eq);
        if (!field.prefixes.isEmpty) field.prefixes.walk(value, this.markRules);
        if (!field.suffixes.isEmpty) field.suffixes.walk(value, this.markRules);
        const patterns = field.substringTexts;
        if (patterns.length === 0) continue;
        if (patterns.length <= FEW_PATTERNS) {
          for (let p = 0; p < patterns.length; p++) if (value.includes(patterns[p]!)) this.mark(field.substringRules[p]!);
          continue;
        }
        const n = field.substrings.scan(value, hits);
        for (let h = 0; h < n; h += 2) this.mark(field.substringRules[hits[h]!]!);
      }
    }
    if (out.length === 0) return this.always;
    this.mark(this.always);
    // Insertion sort: candidate lists are short, and rule order keeps output deterministic.
    for (let i = 1; i < out.length; i++) {
      const x = out[i]!;
      let j = i - 1;
      while (j >= 0 && out[j]! > x) {
        out[j + 1] = out[j]!;
        j--;
      }
      out[j + 1] = x;
    }
    return out;
  }

  private readonly markRules = (list: readonly number[]): void => this.mark(list);

  private mark(list: readonly number[]): void {
    const seen = this.seen;
    const stamp = this.stamp;
    for (let k = 0; k < list.length; k++) {
      const i = list[k]!;
      if (seen[i] !== stamp) {
        seen[i] = stamp;
        this.out.push(i);
      }
    }
  }

  private add(fact: Fact, rule: number): void {
    let field = this.fields.find((f) => f.slot.id === fact.slot.id);
    if (!field) {
      field = {
        slot: fact.slot,
        equals: new Map(),
        numbers: new Map(),
        prefixes: new LiteralTrie(false),
        suffixes: new LiteralTrie(true),
        substrings: new LiteralAutomaton(),
        substringRules: [],
        substringTexts: [],
        patternIds: new Map(),
      };
      this.fields.push(field);
    }
    switch (fact.kind) {
      case 'equals':
      case 'number': {
        const map = fact.kind === 'equals' ? field.equals : field.numbers;
        const list = map.get(fact.text) ?? [];
        if (!list.includes(rule)) list.push(rule);
        map.set(fact.text, list);
        return;
      }
      case 'prefix':
        field.prefixes.add(fact.text, rule);
        return;
      case 'suffix':
        field.suffixes.add(fact.text, rule);
        return;
      case 'substring': {
        let id = field.patternIds.get(fact.text);
        if (id === undefined) {
          id = field.substrings.add(fact.text);
          field.patternIds.set(fact.text, id);
          field.substringRules[id] = [];
          field.substringTexts[id] = fact.text;
        }
        const list = field.substringRules[id]!;
        if (!list.includes(rule)) list.push(rule);
      }
    }
  }
}

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
      return null;
  }
}

/** Each group of a values item that yields a fact for every one of its matchers is a requirement. */
function itemRequirements(item: ItemMatcher): Requirement[] {
  if (item.kind !== 'values') return [];
  const out: Requirement[] = [];
  for (const g of item.groups) {
    if (g.orNull || g.matchers.length === 0) continue;
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
    case 'constant':
      return null;
  }
}
