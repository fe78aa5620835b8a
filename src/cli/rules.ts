/**
 * `vigil rules lint|test|eval`: rule tooling with a stable contract (other tools script against it).
 * Exit codes follow main.ts: 0 success, 1 problems found (lint errors, failing tests), 2 a VGL_* error.
 * Rules load under the same bounds as in ingest (VIGIL_RULE_MAX_* in the environment).
 * Each subcommand loads its implementation when it runs, so `vigil rules --help` stays cheap.
 */
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { loadConfig, ruleLimitsOf } from '../config';
import { VigilError } from '../error-codes';
import type { OutputFormat } from './rules-lint';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** The VIGIL_RULE_MAX_* bounds from the environment, validated like every other variable. */
const limits = () => ruleLimitsOf(loadConfig());

function outputFormat(value: string): OutputFormat {
  if (value !== 'text' && value !== 'json') throw new VigilError('VGL_CONFIG_INVALID', `--format must be text or json, got '${value}'`, { field: '--format' });
  return value;
}

export function registerRulesCommands(program: Command, logger: Logger): void {
  const rules = program.command('rules').description('Sigma rule tooling: lint, test, offline eval, ATT&CK coverage');

  rules
    .command('lint')
    .description('Parse and validate rule files; print every problem with file:line:col; exit 1 on problems')
    .argument('<paths...>', 'rule files or directories (a rules root loads its sigma/ and correlations/)')
    .option('--placeholders <file>', 'placeholder values for the expand modifier (default <rules root>/sigma-config/placeholders.yml)')
    .option('--format <format>', 'text or json (one JSON object per problem)', 'text')
    .action(async (paths: string[], opts: { placeholders?: string; format: string }) => {
      const { lintRules } = await import('./rules-lint');
      const report = await lintRules(paths, { ...(opts.placeholders ? { placeholdersFile: opts.placeholders } : {}), logger, limits: limits() }, outputFormat(opts.format), out);
      if (!report.ok) process.exitCode = 1;
    });

  rules
    .command('test')
    .description("Run each rule's sample events (<tests>/<rule stem>/match.ndjson and nomatch.ndjson); exit 1 on failures")
    .argument('<paths...>', 'rule files or directories')
    .option('--tests <dir>', 'tests directory (default <rules root>/tests)')
    .option('--placeholders <file>', 'placeholder values for the expand modifier')
    .action(async (paths: string[], opts: { tests?: string; placeholders?: string }) => {
      const { testRules } = await import('./rules-test');
      const report = await testRules(paths, { ...(opts.tests ? { testsDir: opts.tests } : {}), ...(opts.placeholders ? { placeholdersFile: opts.placeholders } : {}), logger, limits: limits() }, out);
      if (!report.ok) process.exitCode = 1;
    });

  rules
    .command('eval')
    .description('Evaluate detection and correlation rules offline over a file of events; NDJSON hits on stdout')
    .requiredOption('--rules <paths...>', 'rule files or directories')
    .requiredOption('--events <file>', 'NDJSON, JSON array, CloudTrail {"Records":[...]}, k8s EventList or (--source auditd) a raw audit log; gzip or not; - for stdin')
    .option('--source <source>', 'k8s_audit|cloudtrail|process|auditd|falco|json (auto-detected where possible)')
    .option('--logsource <product/service/category>', 'with --source json: only rules of this logsource')
    .option('--time-field <field>', 'event time field (dotted path) for correlation windows')
    .option('--id-field <field>', 'event id field (dotted path) reported in hits')
    .option('--placeholders <file>', 'placeholder values for the expand modifier')
    .option('--rule-cache <dir>', 'keep parsed rule files in this directory (keyed by the rule set contents) so the next load skips YAML parsing')
    .action(async (opts: { rules: string[]; events: string; source?: string; logsource?: string; timeField?: string; idField?: string; placeholders?: string; ruleCache?: string }) => {
      const { placeholders, ruleCache, ...rest } = opts;
      const [{ evalRules }, { LineWriter }] = await Promise.all([import('./rules-eval'), import('./line-writer')]);
      const writer = new LineWriter(process.stdout);
      await evalRules({ ...rest, ...(placeholders ? { placeholdersFile: placeholders } : {}), ...(ruleCache ? { cacheDir: ruleCache } : {}), logger, limits: limits() }, writer, logger);
      await writer.end();
    });

  rules
    .command('coverage')
    .description('ATT&CK coverage of a rule set by tactic, technique and log source; exit 1 when a rule failed to load')
    .argument('<paths...>', 'rule files or directories')
    .option('--format <format>', 'md, json, or navigator (an ATT&CK Navigator layer file, format 4.5)', 'md')
    .option('--placeholders <file>', 'placeholder values for the expand modifier')
    .action(async (paths: string[], opts: { format: string; placeholders?: string }) => {
      const { coverageFormat, rulesCoverage } = await import('./rules-coverage');
      const report = await rulesCoverage(paths, { ...(opts.placeholders ? { placeholdersFile: opts.placeholders } : {}), logger }, coverageFormat(opts.format), out);
      if (report.loadErrors.length > 0) process.exitCode = 1;
    });
}
