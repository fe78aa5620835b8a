/**
 * `vigil rules lint|test|eval|coverage|stats|promote|suggest-filter`: rule tooling with a stable contract (other tools script against it).
 * Exit codes follow main.ts: 0 success, 1 problems found (lint errors, failing tests), 2 a VGL_* error.
 * Rules load under the same bounds as in ingest (VIGIL_RULE_MAX_* in the environment).
 * Each subcommand loads its implementation when it runs, so `vigil rules --help` stays cheap.
 */
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { loadConfig, ruleLimitsOf } from '../config';
import { VigilError } from '../error-codes';
import type { OutputFormat } from './rules-lint';
import { defaultThresholds } from './promote-thresholds';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** The VIGIL_RULE_MAX_* bounds from the environment, validated like every other variable. */
const limits = () => ruleLimitsOf(loadConfig());

function number(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new VigilError('VGL_CONFIG_INVALID', `${flag} must be a number from ${min} to ${max}, got '${value}'`, { field: flag });
    return n;
  };
}

function outputFormat(value: string): OutputFormat {
  if (value !== 'text' && value !== 'json') throw new VigilError('VGL_CONFIG_INVALID', `--format must be text or json, got '${value}'`, { field: '--format' });
  return value;
}

export function registerRulesCommands(program: Command, logger: Logger): void {
  const rules = program.command('rules').description('Sigma rule tooling: lint, test, offline eval, ATT&CK coverage, statistics, shadow rule promotion, filter suggestions');

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

  rules
    .command('stats')
    .description('Alerts, would-be alerts of shadow rules, verdicts and precision per rule, and the noisiest rules (needs TEMPORAL_ADDRESS)')
    .option('--tenant <tenant>', 'only this tenant (default: every tenant, summed per rule)')
    .option('--json', 'one JSON object per rule')
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      const [{ ruleStatsReport }, { withClient }] = await Promise.all([import('./rules-stats'), import('./cli-io')]);
      await withClient((client) => ruleStatsReport(client, opts.tenant, opts.json === true, out));
    });

  rules
    .command('promote')
    .description('Make a shadow rule live (removes vigil.shadow: true from its file) once its evidence is good; exit 1 with VGL_PROMOTE_EVIDENCE when it is not')
    .argument('<rule>', 'the rule id or name')
    .option('--rules <paths...>', 'rule files or directories holding it (default VIGIL_RULES_DIR)')
    .option('--tenant <tenant>', 'judge the evidence of this tenant only (default: every tenant)')
    .option('--min-alerts <n>', 'would-be and live alerts required', number('--min-alerts', 0, 1e9), defaultThresholds.minAlerts)
    .option('--min-verdicts <n>', 'analyst verdicts required', number('--min-verdicts', 0, 1e9), defaultThresholds.minVerdicts)
    .option('--min-precision <p>', 'true positives / verdicts required, 0 to 1', number('--min-precision', 0, 1), defaultThresholds.minPrecision)
    .option('--force', 'promote whatever the evidence')
    .action(async (rule: string, opts: { rules?: string[]; tenant?: string; minAlerts: number; minVerdicts: number; minPrecision: number; force?: boolean }) => {
      const [{ promoteRule }, { withClient }] = await Promise.all([import('./rules-promote'), import('./cli-io')]);
      const paths = opts.rules ?? [loadConfig().VIGIL_RULES_DIR];
      const { promoted } = await withClient((client) =>
        promoteRule(client, { rule, paths, ...(opts.tenant ? { tenant: opts.tenant } : {}), minAlerts: opts.minAlerts, minVerdicts: opts.minVerdicts, minPrecision: opts.minPrecision, force: opts.force === true, logger, limits: limits() }, out),
      );
      if (!promoted) process.exitCode = 1;
    });

  rules
    .command('suggest-filter')
    .description("Write a candidate Sigma filter excluding a false-positive alert's event, plus its nomatch regression event, for review")
    .argument('<alert-id>', 'the alert')
    .requiredOption('--tenant <tenant>', "the alert's tenant (only its alerts and archive are read)")
    .option('--rules <paths...>', "rule files or directories holding the alert's rule (default VIGIL_RULES_DIR)")
    .option('--archive <dir>', 'archive folder (default <VIGIL_DATA_DIR>/archive)')
    .option('--out <dir>', 'where the filter and tests/<rule>/nomatch.ndjson are written', '.')
    .action(async (alertId: string, opts: { tenant: string; rules?: string[]; archive?: string; out: string }) => {
      const [{ suggestFilter }, { withClient }, path] = await Promise.all([import('./rules-suggest-filter'), import('./cli-io'), import('node:path')]);
      const config = loadConfig();
      const result = await withClient((client) =>
        suggestFilter(client, {
          alertId,
          tenant: opts.tenant,
          rules: opts.rules ?? [config.VIGIL_RULES_DIR],
          archive: opts.archive ?? path.join(config.VIGIL_DATA_DIR, 'archive'),
          out: opts.out,
          logger,
          limits: limits(),
        }),
      );
      out(`filter on ${result.fields.join(', ')}: ${result.filterFile}`);
      out(`nomatch regression event: ${result.nomatchFile}`);
      out(`review: vigil rules lint RULE_FILE ${result.filterFile}; vigil rules test RULE_FILE ${result.filterFile} --tests ${path.dirname(path.dirname(result.nomatchFile))}`);
    });
}
