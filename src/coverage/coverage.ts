/**
 * ATT&CK coverage of a rule set: which techniques its detection and correlation rules are tagged with, under
 * which tactic and from which log source. A rule tagged with technique T counts under the tactics it is also
 * tagged with that T belongs to; with no such tactic tag, under every tactic of T. Only rules of level low or
 * above count (informational building blocks alert on nothing by themselves).
 */
import type { CompiledRuleSet } from '../sigma';
import type { AttackCatalog } from './attack-catalog';
import { techniqueOfTag } from './attack-catalog';

export interface CoveringRule {
  readonly name: string;
  readonly title: string;
  readonly level: string;
  /** `product/service-or-category` of a detection rule, `correlation` for a correlation rule. */
  readonly logsource: string;
}

export interface CoveredTechnique {
  readonly id: string;
  readonly name: string;
  readonly rules: readonly CoveringRule[];
}

export interface TacticCoverage {
  readonly id: string;
  readonly shortname: string;
  readonly name: string;
  /** Techniques (and sub-techniques) of this tactic in the catalogue. */
  readonly total: number;
  readonly covered: readonly CoveredTechnique[];
}

export interface Coverage {
  readonly attackVersion: string;
  readonly catalogSource: string;
  readonly platforms: readonly string[];
  readonly rules: number;
  readonly tactics: readonly TacticCoverage[];
  /** Rules per log source (detections by logsource, correlations as `correlation`). */
  readonly byLogsource: Readonly<Record<string, number>>;
  /** Technique tags not in the catalogue: typos, or techniques ATT&CK revoked. */
  readonly unknownTechniques: readonly { readonly rule: string; readonly technique: string }[];
}

interface TaggedRule extends CoveringRule {
  readonly tags: readonly string[];
}

function logsourceLabel(ls: { product?: string; service?: string; category?: string }): string {
  return [ls.product, ls.service ?? ls.category].filter((p) => p !== undefined).join('/') || 'any';
}

export function computeCoverage(ruleSet: CompiledRuleSet, catalog: AttackCatalog): Coverage {
  const rules: TaggedRule[] = [
    ...ruleSet.rules.map((r) => ({ name: r.ref.name ?? r.ref.id, title: r.ref.title, level: r.ref.level, logsource: logsourceLabel(r.logsource), tags: r.ref.tags })),
    ...ruleSet.correlations.map((c) => ({ name: c.name ?? c.id, title: c.title, level: c.level, logsource: 'correlation', tags: c.tags })),
  ].filter((r) => r.level !== 'informational');

  const byTactic = new Map<string, Map<string, CoveringRule[]>>(catalog.tactics.map((t) => [t.shortname, new Map()]));
  const unknownTechniques: { rule: string; technique: string }[] = [];
  const byLogsource: Record<string, number> = {};
  for (const rule of rules) {
    byLogsource[rule.logsource] = (byLogsource[rule.logsource] ?? 0) + 1;
    const tacticTags = new Set(rule.tags.map((t) => t.toLowerCase().replace(/^attack\./, '')));
    for (const id of new Set(rule.tags.map(techniqueOfTag).filter((t): t is string => t !== undefined))) {
      const technique = catalog.techniques.get(id);
      if (!technique) {
        unknownTechniques.push({ rule: rule.name, technique: id });
        continue;
      }
      const tagged = technique.tactics.filter((t) => tacticTags.has(t));
      for (const tactic of tagged.length > 0 ? tagged : technique.tactics) {
        const techniques = byTactic.get(tactic)!;
        const { tags: _tags, ...covering } = rule;
        techniques.set(id, [...(techniques.get(id) ?? []), covering]);
      }
    }
  }

  const tactics = catalog.tactics.map((t) => ({
    ...t,
    total: [...catalog.techniques.values()].filter((x) => x.tactics.includes(t.shortname)).length,
    covered: [...byTactic.get(t.shortname)!]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, covering]) => ({ id, name: catalog.techniques.get(id)!.name, rules: covering })),
  }));
  return { attackVersion: catalog.version, catalogSource: catalog.source, platforms: catalog.platforms, rules: rules.length, tactics, byLogsource, unknownTechniques };
}
