/**
 * Which rules apply to which events. A selector logsource covers a rule when every attribute the
 * selector sets equals the rule's (case-insensitively); attributes only the rule sets are ignored,
 * so `kubernetes/audit` events get rules that add `category: application`, while
 * `linux/process_creation` events never get `linux/auditd` or product-only `linux` rules.
 * Reference: pySigma LogsourceCondition.
 */
import { logsourceOf, type Logsource, type SourceKind } from '../model/source';
import { pipelines } from './pipeline';

const attributes = ['product', 'service', 'category'] as const;

export function logsourceCovers(selector: Logsource, rule: Logsource): boolean {
  return attributes.every((a) => selector[a] === undefined || selector[a]!.toLowerCase() === rule[a]?.toLowerCase());
}

function hasLogsource(ls: Logsource): boolean {
  return attributes.some((a) => ls[a] !== undefined);
}

/**
 * The generic `json` source carries no logsource: only rules without one apply to it. A field-mapping
 * pipeline may extend a logsource's rules to other sources (process_creation rules see auditd execs and
 * Falco process alerts).
 */
export function ruleAppliesToSource(rule: Logsource, source: SourceKind): boolean {
  if (source === 'json') return !hasLogsource(rule);
  return logsourceCovers(logsourceOf[source], rule) || pipelines.some((p) => p.alsoFrom?.includes(source) === true && p.appliesTo(rule));
}

/** The first source whose events a rule applies to (how `vigil rules test` picks a rule's source). */
export function sourceForRule(rule: Logsource, sources: readonly SourceKind[]): SourceKind | undefined {
  return sources.find((s) => ruleAppliesToSource(rule, s));
}

/** Parses `product/service/category` (empty parts allowed: `linux//process_creation`). */
export function parseLogsourceSelector(text: string): Logsource {
  const [product, service, category] = text.split('/').map((p) => (p === '' ? undefined : p));
  return {
    ...(product !== undefined ? { product } : {}),
    ...(service !== undefined ? { service } : {}),
    ...(category !== undefined ? { category } : {}),
  };
}
