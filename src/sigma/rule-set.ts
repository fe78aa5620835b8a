/**
 * A loaded, compiled, indexed rule set: what ingest matches events against. Rules are bucketed by
 * the source kinds they apply to (logsource routing), and each bucket has a literal-value index.
 * The version is a content hash of the rule files in use; it is stamped on every alert.
 */
import type { RuleRef } from '../model/detection';
import type { Logsource, SourceKind } from '../model/source';
import type { CompiledRule } from './compile';
import type { CorrelationRule } from './correlation-rule';
import { evaluateCondition } from './matcher';
import { EventView } from './event-view';
import { logsourceCovers, ruleAppliesToSource } from './logsource-routing';
import { RuleIndex } from './rule-index';

export interface RuleSet {
  /** Content hash of the accepted rule files (stamped on every alert). */
  readonly version: string;
  readonly rules: readonly CompiledRule[];
  readonly correlations: readonly CorrelationRule[];
  /** The rules the raw event matches, for events of `source` (hot path). */
  match(event: unknown, source: SourceKind): RuleRef[];
}

/** Rules selected for offline evaluation: a logsource selector, or every rule whatever its logsource. */
export type RuleSelector = Logsource | 'all';

export class CompiledRuleSet implements RuleSet {
  private readonly bySource = new Map<SourceKind, RuleIndex>();
  private readonly bySelector = new Map<string, RuleIndex>();
  private readonly view = new EventView();

  constructor(
    readonly version: string,
    readonly rules: readonly CompiledRule[],
    readonly correlations: readonly CorrelationRule[],
  ) {}

  /**
   * The index of a source's rules, built on first use: a process that sees one source (`vigil rules
   * eval`, an edge collector) never pays for the others'.
   */
  private indexFor(source: SourceKind): RuleIndex {
    let index = this.bySource.get(source);
    if (!index) {
      index = new RuleIndex(this.rules.filter((r) => ruleAppliesToSource(r.logsource, source)));
      this.bySource.set(source, index);
    }
    return index;
  }

  match(event: unknown, source: SourceKind): RuleRef[] {
    return this.run(this.indexFor(source), event).map((r) => r.ref);
  }

  /** The compiled rules the event matches under a selector (`vigil rules eval --source json`). */
  matchSelected(event: unknown, selector: RuleSelector): CompiledRule[] {
    const key = selector === 'all' ? 'all' : JSON.stringify(selector);
    let index = this.bySelector.get(key);
    if (!index) {
      index = new RuleIndex(selector === 'all' ? this.rules : this.rules.filter((r) => logsourceCovers(selector, r.logsource)));
      this.bySelector.set(key, index);
    }
    return this.run(index, event);
  }

  /** The compiled rules the event matches for a source (for tooling that needs more than the RuleRef). */
  matchRules(event: unknown, source: SourceKind): CompiledRule[] {
    return this.run(this.indexFor(source), event);
  }

  /** How many of a source's rules are reachable only through the literal index (for benchmarks and lint output). */
  indexStats(source: SourceKind): { rules: number; indexed: number } {
    const index = this.indexFor(source);
    return { rules: index.rules.length, indexed: index.indexedCount };
  }

  private run(index: RuleIndex, event: unknown): CompiledRule[] {
    const view = this.view;
    view.reset(event);
    const out: CompiledRule[] = [];
    for (const i of index.candidates(view)) {
      const rule = index.rules[i]!;
      if (evaluateCondition(rule.condition, view)) out.push(rule);
    }
    view.reset(undefined); // do not keep the event alive
    return out;
  }
}
