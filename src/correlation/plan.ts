/**
 * Rules → an evaluation plan, built once per rules array (cached by identity): which correlation listens to which
 * rule reference, the concrete field path of every group-by name and value field per referenced rule (aliases
 * resolved), and which correlations consume another's hits (chains). A chain with a cycle is rejected.
 */
import { VigilError } from '../error-codes';
import type { RuleRef } from '../model/detection';
// Type-only: the Sigma parser (and zod) stay out of the workflow bundle.
import type { CorrelationRule } from '../sigma/correlation-rule';

export interface CompiledCorrelation {
  rule: CorrelationRule;
  ref: RuleRef;
  /** [rule index][group-by index] → field path in that rule's inputs. */
  groupFields: string[][];
  /** [rule index][condition field index] → field path. */
  valueFields: string[][];
  /** What window state depends on, as a string: a rule edited under the same id starts from empty windows. */
  definition: string;
  /** Absence only: rule index of the anchor; `absentIndex[i]` tells whether rule i cancels. */
  anchorIndex: number;
  absentIndex: boolean[];
}

export interface CorrelationPlan {
  correlations: CompiledCorrelation[];
  /** Rule id or name → the (correlation index, rule index) pairs that reference it. */
  listeners: Map<string, Array<[number, number]>>;
  /** The shortest timespan of any rule (Infinity without rules): how often correlate sweeps stale windows. */
  shortestTimespanMs: number;
}

const plans = new WeakMap<readonly CorrelationRule[], CorrelationPlan>();

/** **Invariant**: a rules array is never mutated after it is first passed in (the plan is cached by identity). */
export function planFor(rules: readonly CorrelationRule[]): CorrelationPlan {
  let plan = plans.get(rules);
  if (!plan) {
    plan = buildPlan(rules);
    plans.set(rules, plan);
  }
  return plan;
}

/** The field an input matched by `ruleRef` carries for `name` (a group-by name, alias or field path). */
export function aliasedField(rule: CorrelationRule, name: string, ruleRef: string): string {
  return rule.aliases[name]?.[ruleRef] ?? name;
}

function buildPlan(rules: readonly CorrelationRule[]): CorrelationPlan {
  const listeners = new Map<string, Array<[number, number]>>();
  const correlations = rules.map((rule, ci): CompiledCorrelation => {
    rule.rules.forEach((ref, ri) => {
      const list = listeners.get(ref) ?? [];
      list.push([ci, ri]);
      listeners.set(ref, list);
    });
    const fields = rule.condition.kind === 'threshold' ? rule.condition.field : [];
    return {
      rule,
      ref: { id: rule.id, ...(rule.name ? { name: rule.name } : {}), title: rule.title, level: rule.level, tags: rule.tags, ...(rule.shadow ? { shadow: true } : {}) },
      definition: JSON.stringify([rule.type, rule.rules, rule.groupBy, rule.timespanMs, rule.condition, rule.aliases]),
      groupFields: rule.rules.map((ref) => rule.groupBy.map((g) => aliasedField(rule, g, ref))),
      valueFields: rule.rules.map((ref) => fields.map((f) => aliasedField(rule, f, ref))),
      anchorIndex: rule.absence ? rule.rules.indexOf(rule.absence.anchor) : -1,
      absentIndex: rule.rules.map((ref) => rule.absence?.absent.includes(ref) ?? false),
    };
  });
  rejectCycles(rules, listeners);
  return { correlations, listeners, shortestTimespanMs: Math.min(...rules.map((r) => r.timespanMs)) };
}

function rejectCycles(rules: readonly CorrelationRule[], listeners: CorrelationPlan['listeners']): void {
  const consumers = (rule: CorrelationRule): number[] => [
    ...new Set([rule.id, rule.name].flatMap((key) => (key ? (listeners.get(key) ?? []).map(([ci]) => ci) : []))),
  ];
  const state = new Array<'open' | 'done' | undefined>(rules.length);
  const visit = (ci: number, path: string[]): void => {
    if (state[ci] === 'done') return;
    if (state[ci] === 'open') {
      throw new VigilError('VGL_RULE_CORRELATION', `correlation chain has a cycle: ${[...path, rules[ci]!.id].join(' → ')}`, {
        field: 'correlation.rules',
      });
    }
    state[ci] = 'open';
    for (const next of consumers(rules[ci]!)) visit(next, [...path, rules[ci]!.id]);
    state[ci] = 'done';
  };
  rules.forEach((_, ci) => visit(ci, []));
}
