/** Three-line helpers for Sigma tests: inline YAML in, match result or errors out. */
import type { SourceKind } from '../../src/model/source';
import { ruleSetFromTexts, type PlaceholderValues } from '../../src/sigma';

/** A one-rule YAML document with the given detection body (indented by the caller as YAML). */
export function ruleYaml(detection: string, logsource = 'product: test'): string {
  return `title: t\nid: r1\nlogsource:\n  ${logsource}\ndetection:\n${detection}\nlevel: high\n`;
}

export function loadTexts(texts: Record<string, string>, placeholders?: PlaceholderValues) {
  return ruleSetFromTexts(Object.entries(texts).map(([file, text]) => ({ file, text })), placeholders);
}

/** Whether `event` matches the rule(s) in `yaml`; throws on load errors so tests see them. */
export function evalRule(yaml: string, event: unknown, source: SourceKind | 'all' = 'all', placeholders?: PlaceholderValues): boolean {
  const { ruleSet, errors } = loadTexts({ 'rule.yml': yaml }, placeholders);
  if (errors.length > 0) throw errors[0];
  return (source === 'all' ? ruleSet.matchSelected(event, 'all') : ruleSet.matchRules(event, source)).length > 0;
}
