/**
 * Sigma detection rules and filters → compiled rules. Compilation happens once per rule file
 * version; matching never touches the YAML model again.
 */
import type { RuleRef } from '../model/detection';
import type { Logsource } from '../model/source';
import { compileCondition } from './compile-condition';
import { compileItem, type CompileContext } from './compile-item';
import { parseDetection } from './detection';
import type { FieldTable } from './event-view';
import type { CompiledSearch, ConditionMatcher } from './matcher';
import type { PlaceholderValues } from './modifiers/expand';
import type { RuleLimits, SizeBudget } from './rule-limits';
import { fieldSourceFor } from './pipeline';
import type { SigmaDetectionRule, SigmaFilter } from './rule';

export interface CompiledRule {
  readonly ref: RuleRef;
  readonly rule: SigmaDetectionRule;
  readonly logsource: Logsource;
  readonly condition: ConditionMatcher;
}

export interface CompiledFilter {
  readonly filter: SigmaFilter;
  readonly condition: ConditionMatcher;
}

export interface CompileOptions {
  readonly fields: FieldTable;
  readonly placeholders: PlaceholderValues;
  readonly limits: RuleLimits;
  /** What the file being compiled may still add to the rule set; one per file. */
  readonly budget: SizeBudget;
}

function compileDetection(
  detection: Readonly<Record<string, unknown>>,
  origin: SigmaDetectionRule | SigmaFilter,
  base: string,
  logsource: Logsource | undefined,
  options: CompileOptions,
): ConditionMatcher {
  const spec = parseDetection(detection, origin.locate, [base], options.limits);
  const ctx: CompileContext = { ...options, fieldSource: fieldSourceFor(logsource) };
  const searches = new Map<string, CompiledSearch>();
  for (const [name, s] of spec.searches) {
    searches.set(name, { name, alternatives: s.alternatives.map((alt) => alt.map((item) => compileItem(item, ctx))) });
  }
  return compileCondition(spec.conditions, searches, spec.conditionLocation);
}

export function compileRule(rule: SigmaDetectionRule, options: CompileOptions): CompiledRule {
  return {
    ref: {
      id: rule.id,
      ...(rule.name !== undefined ? { name: rule.name } : {}),
      title: rule.title,
      level: rule.level,
      tags: [...rule.tags],
      ...(rule.shadow ? { shadow: true } : {}),
    },
    rule,
    logsource: rule.logsource,
    condition: compileDetection(rule.detection, rule, 'detection', rule.logsource, options),
  };
}

export function compileFilter(filter: SigmaFilter, options: CompileOptions): CompiledFilter {
  return { filter, condition: compileDetection(filter.detection, filter, 'filter', filter.logsource, options) };
}

/** The rule with the filter's condition ANDed on (Reference: Sigma filters specification). */
export function applyFilter(rule: CompiledRule, filter: CompiledFilter): CompiledRule {
  return { ...rule, condition: { kind: 'and', nodes: [rule.condition, filter.condition] } };
}
