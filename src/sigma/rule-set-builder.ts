/**
 * Links compiled rule files into a RuleSet: rejects duplicate ids and names (the first file in
 * path order wins), applies Sigma filters to the rules they name, checks that correlations
 * reference loaded rules, and computes the version hash over exactly the files in use.
 */
import { createHash } from 'node:crypto';
import { VigilError } from '../error-codes';
import { applyFilter, type CompiledRule } from './compile';
import type { CorrelationRule } from './correlation-rule';
import { RuleError } from './errors';
import { logsourceCovers } from './logsource-routing';
import type { RuleFile } from './rule-file';
import { CompiledRuleSet } from './rule-set';

export function linkRuleSet(files: readonly RuleFile[], placeholdersText: string): { ruleSet: CompiledRuleSet; errors: VigilError[] } {
  const errors: VigilError[] = [];
  const taken = new Map<string, string>(); // id or name → file that defined it
  const claim = (keys: (string | undefined)[], file: string, locate: (path: string[]) => VigilError['location'], what: string): boolean => {
    for (const [i, key] of keys.entries()) {
      if (key === undefined || !taken.has(key)) continue;
      errors.push(new RuleError('VGL_RULE_DUPLICATE_ID', `${what} ${i === 0 ? 'id' : 'name'} '${key}' is already used in ${taken.get(key)}`, locate([i === 0 ? 'id' : 'name'])));
      return false;
    }
    for (const key of keys) if (key !== undefined) taken.set(key, file);
    return true;
  };

  let rules: CompiledRule[] = [];
  const correlations: CorrelationRule[] = [];
  for (const f of files) {
    for (const r of f.rules) if (claim([r.ref.id, r.ref.name], f.file, r.rule.locate, 'rule')) rules.push(r);
  }
  for (const f of files) {
    for (const c of f.correlations) {
      if (!claim([c.rule.id, c.rule.name], f.file, c.locate, 'correlation')) continue;
      const unknown = c.rule.rules.find((ref) => !taken.has(ref));
      if (unknown !== undefined) {
        const i = c.rule.rules.indexOf(unknown);
        errors.push(new VigilError('VGL_RULE_CORRELATION', `correlation references rule '${unknown}', which is not loaded`, c.locate(['correlation', 'rules', i])));
        continue;
      }
      correlations.push(c.rule);
    }
  }

  for (const f of files) {
    for (const filter of f.filters) {
      filter.filter.targets.forEach((target, i) => {
        const hits = rules.filter((r) => r.ref.id === target || r.ref.name === target);
        const location = filter.filter.locate(['filter', 'rules', i]);
        if (hits.length === 0) {
          errors.push(new RuleError('VGL_RULE_FILTER_TARGET', `filter names rule '${target}', which is not loaded`, location));
          return;
        }
        for (const hit of hits) {
          if (filter.filter.logsource && !logsourceCovers(filter.filter.logsource, hit.logsource)) {
            errors.push(new RuleError('VGL_RULE_FILTER_TARGET', `filter logsource does not cover the logsource of rule '${target}'`, location));
            continue;
          }
          rules = rules.map((r) => (r === hit ? applyFilter(r, filter) : r));
        }
      });
    }
  }

  const linked = shadowCorrelations(rules, correlations);

  const hash = createHash('sha256');
  // Content only (not paths), so the same rules loaded from another checkout have the same version.
  for (const h of files.map((f) => f.contentHash).sort()) hash.update(`${h}\n`);
  hash.update(placeholdersText);
  const version = hash.digest('hex').slice(0, 16);
  return { ruleSet: new CompiledRuleSet(version, rules, linked), errors };
}

/**
 * Marks shadow every correlation that references a shadow rule, directly or through another correlation: its
 * evidence is unproven, so its alerts are would-be alerts too (a live correlation over a shadow detection would
 * otherwise notify on what nobody has reviewed). Repeated until nothing changes, so chains of any order settle.
 */
function shadowCorrelations(rules: readonly CompiledRule[], correlations: readonly CorrelationRule[]): CorrelationRule[] {
  const shadow = new Set<string>();
  const mark = (r: { id: string; name?: string }): void => {
    shadow.add(r.id);
    if (r.name !== undefined) shadow.add(r.name);
  };
  for (const r of rules) if (r.ref.shadow) mark(r.ref);
  for (const c of correlations) if (c.shadow) mark(c);
  let out = [...correlations];
  for (let changed = true; changed; ) {
    changed = false;
    out = out.map((c) => {
      if (c.shadow || !c.rules.some((ref) => shadow.has(ref))) return c;
      mark(c);
      changed = true;
      return { ...c, shadow: true };
    });
  }
  return out;
}
