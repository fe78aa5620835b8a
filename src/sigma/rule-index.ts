/**
 * Literal index over the rules of one logsource bucket, so an event is evaluated only against
 * rules that could match it (each rule's requirement comes from index-facts.ts). Equality and
 * numeric facts are hash lookups, prefix and suffix facts radix-trie walks, substring facts one
 * Aho-Corasick pass per field value. A rule with two requirements becomes a candidate only when
 * both have a hit. Rules without a requirement are evaluated for every event.
 * **Invariant**: facts are lower-cased exactly as EventView.lowered lower-cases event values, so
 * the index only ever skips rules that cannot match.
 */
import type { CompiledRule } from './compile';
import type { EventView, FieldSlot } from './event-view';
import { requirementsFor, type Fact } from './index-facts';
import { LiteralAutomaton } from './literal-automaton';
import { LiteralTrie } from './literal-trie';
import { numberOf } from './matcher';

/** Up to this many substring patterns per field, native String.includes beats one automaton pass. */
const FEW_PATTERNS = 4;

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
  /** 1 when a rule needs two requirements (both must have a fact hit) before it is a candidate. */
  private readonly needsBoth: Uint8Array;
  /** Which of a two-requirement rule's groups have hit for the event of `partialStamp`. */
  private readonly partial: Uint8Array;
  private readonly partialStamp: Uint32Array;
  private stamp = 0;
  /** The candidate list being built by the current candidates() call. */
  private out: number[] = [];
  /** Scratch buffer of (pattern, end) pairs from the automaton, reused across events. */
  private readonly hits: number[] = [];

  constructor(readonly rules: readonly CompiledRule[]) {
    this.seen = new Uint32Array(rules.length);
    this.needsBoth = new Uint8Array(rules.length);
    this.partial = new Uint8Array(rules.length);
    this.partialStamp = new Uint32Array(rules.length);
    requirementsFor(rules).forEach((reqs, i) => {
      if (reqs === null) {
        this.always.push(i);
        return;
      }
      this.needsBoth[i] = reqs.length === 2 ? 1 : 0;
      reqs.forEach((req, group) => {
        for (const fact of req) this.add(fact, i * 2 + group);
      });
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
      this.partialStamp.fill(0);
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
    this.markRulesDirect(this.always);
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

  /** Records fact hits; entries are `rule * 2 + requirement group` (see the constructor). */
  private mark(list: readonly number[]): void {
    const seen = this.seen;
    const stamp = this.stamp;
    for (let k = 0; k < list.length; k++) {
      const entry = list[k]!;
      const rule = entry >> 1;
      if (seen[rule] === stamp) continue;
      if (this.needsBoth[rule] === 1) {
        const bit = 1 << (entry & 1);
        if (this.partialStamp[rule] !== stamp) {
          this.partialStamp[rule] = stamp;
          this.partial[rule] = bit;
          continue;
        }
        this.partial[rule]! |= bit;
        if (this.partial[rule] !== 3) continue;
      }
      seen[rule] = stamp;
      this.out.push(rule);
    }
  }

  /** Marks rules directly (the always-evaluated ones), bypassing requirement groups. */
  private markRulesDirect(rules: readonly number[]): void {
    for (const rule of rules) {
      if (this.seen[rule] !== this.stamp) {
        this.seen[rule] = this.stamp;
        this.out.push(rule);
      }
    }
  }

  /** Indexes one fact for an entry `rule * 2 + requirement group`. */
  private add(fact: Fact, entry: number): void {
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
        if (!list.includes(entry)) list.push(entry);
        map.set(fact.text, list);
        return;
      }
      case 'prefix':
        field.prefixes.add(fact.text, entry);
        return;
      case 'suffix':
        field.suffixes.add(fact.text, entry);
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
        if (!list.includes(entry)) list.push(entry);
      }
    }
  }
}
