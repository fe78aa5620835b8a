/**
 * Sigma `generate`: whether the rules a correlation refers to still raise alerts of their own. Sigma defaults
 * to false (only the correlation is generated). Spec v2.2 limits `generate` to rules in the same file; Vigil
 * keeps detection and correlation rules in separate files, so it applies `generate` to every referenced rule:
 * a rule referenced by correlations alerts on its own only if at least one of them sets `generate: true`.
 * The same holds for a correlation that feeds another one (a chain's inner link).
 */
import type { CorrelationRule } from '../sigma/correlation-rule';

export function raisesOwnAlert(rule: { id: string; name?: string }, correlations: readonly CorrelationRule[]): boolean {
  const referencing = correlations.filter(
    (c) => c.rules.includes(rule.id) || (rule.name !== undefined && c.rules.includes(rule.name)),
  );
  return referencing.length === 0 || referencing.some((c) => c.generate);
}
