/**
 * `vigil rules lint PATH...`: load every rule file under the paths and report every problem with
 * its code and location, one per line (text) or one JSON object per line (json).
 */
import type { VigilError } from '../error-codes';
import { loadRuleSet, type LoadOptions } from '../sigma';

export type OutputFormat = 'text' | 'json';

export interface LintReport {
  readonly ok: boolean;
  readonly problems: readonly VigilError[];
  readonly rules: number;
  readonly correlations: number;
  readonly version: string;
}

export function formatProblem(e: VigilError, format: OutputFormat): string {
  if (format === 'text') return e.message;
  return JSON.stringify({ code: e.code, reason: e.reason, ...e.location });
}

export async function lintRules(paths: string[], options: LoadOptions, format: OutputFormat, write: (line: string) => void): Promise<LintReport> {
  const { ruleSet, errors } = await loadRuleSet(paths, options);
  for (const e of errors) write(formatProblem(e, format));
  const report = { ok: errors.length === 0, problems: errors, rules: ruleSet.rules.length, correlations: ruleSet.correlations.length, version: ruleSet.version };
  if (format === 'text') {
    write(`${report.rules} rules, ${report.correlations} correlations, ${errors.length} problem${errors.length === 1 ? '' : 's'} (rule set version ${report.version})`);
  }
  return report;
}
