/**
 * Literal-value index over the rules of one logsource bucket, so an event is evaluated only
 * against rules that can match it. For each rule we derive a *requirement*: a set of
 * (field, lower-cased value) pairs such that every event the rule matches has at least one of
 * them (from `equals` matchers on AND paths of the condition; OR needs every branch to have one).
 * Rules without a requirement are evaluated for every event.
 * **Invariant**: index keys are normalised exactly as EventView.lowered normalises event values,
 * so the index only ever skips rules that could not match.
 */
import type { CompiledRule } from './compile';
import type { EventView, FieldSlot } from './event-view';
import type { CompiledSearch, ConditionMatcher, ItemMatcher } from './matcher';

type Pair = { readonly slot: FieldSlot; readonly value: string };
type Requirement = readonly Pair[];

export class RuleIndex {
  private readonly byField: { slot: FieldSlot; values: Map<string, number[]> }[] = [];
  private readonly always: number[] = [];
  private readonly seen: Uint32Array;
  private stamp = 0;

  constructor(readonly rules: readonly CompiledRule[]) {
    this.seen = new Uint32Array(rules.length);
    const frequency = pairFrequency(rules);
    const score = (r: Requirement) => r.reduce((sum, p) => sum + (frequency.get(pairKey(p)) ?? 0), 0);
    rules.forEach((rule, i) => {
      const req = requirementOf(rule.condition, score);
      if (req === null) {
        this.always.push(i);
        return;
      }
      for (const { slot, value } of req) {
        let entry = this.byField.find((f) => f.slot.id === slot.id);
        if (!entry) this.byField.push((entry = { slot, values: new Map() }));
        const list = entry.values.get(value) ?? [];
        if (!list.includes(i)) list.push(i);
        entry.values.set(value, list);
      }
    });
  }

  get indexedCount(): number {
    return this.rules.length - this.always.length;
  }

  /** Indices of the rules worth evaluating for the event in `view`, ascending. */
  candidates(view: EventView): number[] {
    if (this.byField.length === 0) return this.always;
    if (++this.stamp === 0xffffffff) {
      this.seen.fill(0);
      this.stamp = 1;
    }
    let out: number[] | undefined;
    for (const { slot, values } of this.byField) {
      for (const v of view.lowered(slot)) {
        if (v === undefined) continue;
        const hits = values.get(v);
        if (hits === undefined) continue;
        for (const i of hits) {
          if (this.seen[i] === this.stamp) continue;
          this.seen[i] = this.stamp;
          (out ??= []).push(i);
        }
      }
    }
    if (out === undefined) return this.always;
    for (const i of this.always) if (this.seen[i] !== this.stamp) out.push(i);
    return out.sort((a, b) => a - b);
  }
}

function pairKey(p: Pair): string {
  return `${p.slot.id}\u0000${p.value}`;
}

function equalsPairs(item: ItemMatcher): Requirement[] {
  if (item.kind !== 'values') return [];
  return item.groups
    .filter((g) => !g.orNull && g.matchers.length > 0 && g.matchers.every((m) => m.kind === 'equals'))
    .map((g) => g.matchers.map((m) => ({ slot: item.field, value: (m as { text: string }).text.toLowerCase() })));
}

/** How many rules mention each pair: rarer pairs make more selective index keys. */
function pairFrequency(rules: readonly CompiledRule[]): Map<string, number> {
  const frequency = new Map<string, number>();
  const walk = (node: ConditionMatcher, seen: Set<string>): void => {
    if (node.kind === 'and' || node.kind === 'or') node.nodes.forEach((n) => walk(n, seen));
    else if (node.kind === 'not') walk(node.node, seen);
    else if (node.kind === 'search') {
      for (const alt of node.search.alternatives) for (const item of alt) for (const req of equalsPairs(item)) for (const p of req) seen.add(pairKey(p));
    }
  };
  for (const rule of rules) {
    const seen = new Set<string>();
    walk(rule.condition, seen);
    for (const k of seen) frequency.set(k, (frequency.get(k) ?? 0) + 1);
  }
  return frequency;
}

function best(options: Requirement[], score: (r: Requirement) => number): Requirement | null {
  let chosen: Requirement | null = null;
  for (const o of options) if (chosen === null || score(o) < score(chosen)) chosen = o;
  return chosen;
}

function union(parts: (Requirement | null)[]): Requirement | null {
  if (parts.some((p) => p === null)) return null;
  return (parts as Requirement[]).flat();
}

function searchRequirement(search: CompiledSearch, score: (r: Requirement) => number): Requirement | null {
  return union(search.alternatives.map((alt) => best(alt.flatMap(equalsPairs), score)));
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
