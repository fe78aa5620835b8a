/**
 * `vigil rules test PATH...`: runs each rule's own sample events.
 *
 * Convention (fixed; the rule pack follows it):
 * - a rule file lives at `rules/sigma/<product>/<service-or-category>/<stem>.yml`;
 * - its tests live in `<tests dir>/<stem>/match.ndjson` (each line one raw event that MUST match
 *   the rule) and `<tests dir>/<stem>/nomatch.ndjson` (each line one raw event that MUST NOT);
 * - the tests dir is `--tests DIR`, else `<rules root>/tests`, the rules root being the nearest
 *   ancestor of the rule file holding both `sigma/` and `tests/`;
 * - events are matched through the whole rule set (filters and routing included) as events of the
 *   source derived from the rule's logsource; a rule whose logsource no source carries is tested
 *   under its own logsource. With several rules in one file, an event matches if any of them does.
 * A rule file without any test file fails (VGL_RULE_TEST_MISSING), except when every rule in it is
 * referenced by a correlation rule: such building blocks are exercised through `vigil rules eval`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { VigilError } from '../error-codes';
import { sourceKinds } from '../model/source';
import { loadRuleSet, sourceForRule, type CompiledRule, type CompiledRuleSet, type LoadOptions } from '../sigma';
import { RuleError } from '../sigma/errors';
import { findAncestorWith } from '../sigma/rule-files';

export interface RuleTestResult {
  readonly file: string;
  readonly stem: string;
  readonly passed: boolean;
  /** No tests, but only correlation building blocks in the file. */
  readonly skipped: boolean;
  readonly matchCases: number;
  readonly nomatchCases: number;
  readonly failures: readonly VigilError[];
}

export interface RuleTestOptions extends LoadOptions {
  readonly testsDir?: string;
}

export async function testRules(
  paths: string[],
  options: RuleTestOptions,
  write: (line: string) => void,
): Promise<{ ok: boolean; results: RuleTestResult[]; loadErrors: VigilError[] }> {
  const { ruleSet, errors } = await loadRuleSet(paths, options);
  for (const e of errors) write(e.message);
  const byFile = new Map<string, CompiledRule[]>();
  for (const r of ruleSet.rules) byFile.set(r.rule.file, [...(byFile.get(r.rule.file) ?? []), r]);
  const results: RuleTestResult[] = [];
  for (const [file, rules] of [...byFile].sort(([a], [b]) => a.localeCompare(b))) {
    const result = await testRuleFile(file, rules, ruleSet, options.testsDir);
    results.push(result);
    write(
      result.skipped
        ? `SKIP ${result.stem} (no tests; correlation building blocks)`
        : result.passed
        ? `PASS ${result.stem} (${result.matchCases} match, ${result.nomatchCases} nomatch)`
        : `FAIL ${result.stem}\n${result.failures.map((f) => `  ${f.message}`).join('\n')}`,
    );
  }
  const failed = results.filter((r) => !r.passed).length;
  const skipped = results.filter((r) => r.skipped).length;
  write(`${results.length - failed - skipped} passed, ${failed} failed, ${skipped} skipped${errors.length ? `, ${errors.length} load problems` : ''}`);
  return { ok: failed === 0 && errors.length === 0, results, loadErrors: errors };
}

async function testRuleFile(file: string, rules: CompiledRule[], ruleSet: CompiledRuleSet, testsDir: string | undefined): Promise<RuleTestResult> {
  const stem = basename(file, extname(file));
  const root = testsDir ?? (() => {
    const rulesRoot = findAncestorWith(file, ['sigma', 'tests']);
    return rulesRoot ? join(rulesRoot, 'tests') : undefined;
  })();
  const dir = root ? join(root, stem) : undefined;
  const failures: VigilError[] = [];
  const ids = new Set(rules.map((r) => r.ref.id));
  const logsource = rules[0]!.logsource;
  const source = sourceForRule(logsource, sourceKinds);
  const matches = (event: unknown) =>
    (source ? ruleSet.matchRules(event, source) : ruleSet.matchSelected(event, logsource)).some((r) => ids.has(r.ref.id));
  let counts = { match: 0, nomatch: 0 };
  const exists = dir !== undefined && ['match', 'nomatch'].some((k) => existsSync(join(dir, `${k}.ndjson`)));
  const referenced = new Set(ruleSet.correlations.flatMap((c) => c.rules));
  if (!exists && rules.every((r) => referenced.has(r.ref.id) || (r.ref.name !== undefined && referenced.has(r.ref.name)))) {
    return { file, stem, passed: true, skipped: true, matchCases: 0, nomatchCases: 0, failures };
  }
  if (!exists) {
    const where = dir ?? 'any tests directory (pass --tests DIR, or keep rules under a root holding sigma/ and tests/)';
    failures.push(new RuleError('VGL_RULE_TEST_MISSING', `no match.ndjson or nomatch.ndjson in ${where}`, { file }));
  } else {
    for (const kind of ['match', 'nomatch'] as const) {
      const testFile = join(dir, `${kind}.ndjson`);
      if (!existsSync(testFile)) continue;
      const lines = (await readFile(testFile, 'utf8')).split('\n');
      for (const [i, line] of lines.entries()) {
        if (line.trim() === '') continue;
        const at = { file: testFile, line: i + 1, col: 1 };
        let event: unknown;
        try {
          event = JSON.parse(line);
        } catch (e) {
          failures.push(new RuleError('VGL_RULE_EVENTS_INPUT', `not JSON: ${(e as Error).message}`, at));
          continue;
        }
        counts = { ...counts, [kind]: counts[kind] + 1 };
        if (matches(event) !== (kind === 'match')) {
          failures.push(new RuleError('VGL_RULE_TEST_FAILED', kind === 'match' ? `event did not match ${stem}` : `event matched ${stem} but must not`, at));
        }
      }
    }
  }
  return { file, stem, passed: failures.length === 0, skipped: false, matchCases: counts.match, nomatchCases: counts.nomatch, failures };
}
