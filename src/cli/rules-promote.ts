/**
 * `vigil rules promote RULE`: turns a shadow rule into a live one once its evidence is good. The evidence is what the
 * tenants' rule statistics hold for it (rule-stats-read.ts): would-be alerts, verdicts and precision. Poor evidence
 * (fewer alerts or verdicts than asked, or precision below the threshold) is refused with VGL_PROMOTE_EVIDENCE and
 * exit 1, unless --force. Promoting edits the rule's file in place, in the rule's own YAML document only: the
 * `vigil.shadow: true` line goes and `status: experimental` becomes `status: test`; every other byte stays.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import { VigilError } from '../error-codes';
import { loadRuleSet, type LoadOptions } from '../sigma/load-rule-set';
import type { EvidenceThresholds } from './promote-thresholds';
import { precisionOf, readRuleStats, type RuleStats } from '../temporal/rule-stats-read';

export interface PromoteOptions extends LoadOptions, EvidenceThresholds {
  rule: string;
  paths: string[];
  tenant?: string;
  force: boolean;
}

/** What is wrong with a rule's evidence (empty: good enough to promote). */
export function evidenceProblems(stats: Pick<RuleStats, 'alerts' | 'shadowAlerts' | 'truePositives' | 'falsePositives'>, t: EvidenceThresholds): string[] {
  const problems: string[] = [];
  const alerts = stats.alerts + stats.shadowAlerts;
  const verdicts = stats.truePositives + stats.falsePositives;
  const precision = precisionOf(stats);
  if (alerts < t.minAlerts) problems.push(`${alerts} alerts observed, fewer than ${t.minAlerts} (--min-alerts)`);
  if (verdicts < t.minVerdicts) problems.push(`${verdicts} verdicts, fewer than ${t.minVerdicts} (--min-verdicts)`);
  if (precision !== undefined && precision < t.minPrecision) problems.push(`precision ${(precision * 100).toFixed(0)}% below ${(t.minPrecision * 100).toFixed(0)}% (--min-precision)`);
  return problems;
}

const SHADOW_LINE = /^(['"]?)vigil\.shadow\1\s*:\s*true\s*(#.*)?$/;
const EXPERIMENTAL_LINE = /^status\s*:\s*(['"]?)experimental\1(\s*#.*)?$/;
const DOCUMENT_START = /^---\s*(#.*)?$/;

/**
 * The file's text with document `documentIndex` made live: its top-level `vigil.shadow: true` line removed and
 * `status: experimental` set to `status: test`. Undefined when that document has no such shadow line.
 * A `---` opens a new document only after content (a leading `---` opens the first), as YAML counts them.
 */
export function unshadowText(text: string, documentIndex: number): string | undefined {
  const lines = text.split('\n');
  let doc = 0;
  let content = false;
  let removed = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (DOCUMENT_START.test(line)) {
      if (content) doc++;
      content = false;
      continue;
    }
    if (line.trim() !== '' && !line.trimStart().startsWith('#')) content = true;
    if (doc !== documentIndex) continue;
    if (SHADOW_LINE.test(line)) removed = i;
    else if (EXPERIMENTAL_LINE.test(line)) lines[i] = lines[i]!.replace('experimental', 'test');
  }
  if (removed < 0) return undefined;
  lines.splice(removed, 1);
  return lines.join('\n');
}

export async function promoteRule(client: Client, options: PromoteOptions, write: (line: string) => void): Promise<{ promoted: boolean }> {
  const { ruleSet } = await loadRuleSet(options.paths, options);
  const rule = ruleSet.rules.find((r) => r.ref.id === options.rule || r.ref.name === options.rule);
  if (!rule) throw new VigilError('VGL_PROMOTE_RULE', `no detection rule with id or name '${options.rule}' in ${options.paths.join(', ')}`, { field: 'rule' });
  const file = rule.rule.file;
  if (!rule.rule.shadow) throw new VigilError('VGL_PROMOTE_RULE', `rule '${options.rule}' is not a shadow rule (no vigil.shadow: true)`, { file, field: 'vigil.shadow' });

  const stats = (await readRuleStats(client, options.tenant)).find((r) => r.ruleId === rule.ref.id) ?? { ruleId: rule.ref.id, alerts: 0, shadowAlerts: 0, truePositives: 0, falsePositives: 0 };
  const precision = precisionOf(stats);
  write(`rule ${rule.ref.title} (${rule.ref.id}) in ${file}`);
  write(`evidence${options.tenant ? ` in tenant ${options.tenant}` : ' across tenants'}: ${stats.shadowAlerts} would-be alerts, ${stats.alerts} live alerts, ${stats.truePositives} true positives, ${stats.falsePositives} false positives, precision ${precision === undefined ? '-' : `${(precision * 100).toFixed(0)}%`}`);
  const problems = evidenceProblems(stats, options);
  if (problems.length > 0 && !options.force) {
    write(`VGL_PROMOTE_EVIDENCE: not promoted: ${problems.join('; ')} (--force promotes anyway)`);
    return { promoted: false };
  }
  if (problems.length > 0) write(`promoting despite: ${problems.join('; ')} (--force)`);

  const text = await readFile(file, 'utf8');
  const edited = unshadowText(text, rule.rule.documentIndex);
  if (edited === undefined) throw new VigilError('VGL_PROMOTE_RULE', `no top-level 'vigil.shadow: true' line in document ${rule.rule.documentIndex} of ${file} to remove`, { file, field: 'vigil.shadow' });
  // Written aside and renamed over: a reader (ingest hot reload) sees the old file or the new one, never half.
  await writeFile(`${file}.promote`, edited);
  await rename(`${file}.promote`, file);
  write(`promoted: ${file} no longer has vigil.shadow: true; its alerts notify and start playbooks once the rules reload`);
  return { promoted: true };
}
