/**
 * `vigil scenario run FILE... [--json]`: replay attack scenarios through the whole pipeline and report what they
 * produced (src/scenario/scenario-run.ts). Human summary, or with --json exactly one object of the contract in
 * src/scenario/report.ts on stdout. Exit 1 when a scenario's expectations (FILE.expect.yml) fail; failures go
 * to stderr with --json, so stdout stays one JSON object.
 */
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { loadConfig } from '../config';
import { VigilError } from '../error-codes';
import { parseDuration } from '../model/duration';
import { checkExpectations, type ExpectationResult } from '../scenario/expectations';
import { runScenarios, type ScenarioRunResult } from '../scenario/scenario-run';
import { writeLine } from './cli-io';

interface Verdict {
  name: string;
  result?: ExpectationResult;
}

function judge(run: ScenarioRunResult): Verdict[] {
  return run.scenarios.map((scenario) => {
    if (!scenario.expectations) return { name: scenario.name };
    const alerts = run.report.alerts.filter((a) => run.scenariosOf.get(a.id)?.includes(scenario.name));
    const ids = new Set(alerts.map((a) => a.id));
    const incidents = run.report.incidents.filter((i) => i.alerts.some((id) => ids.has(id)));
    return { name: scenario.name, result: checkExpectations(scenario.expectations, alerts, incidents) };
  });
}

function summary(run: ScenarioRunResult): string[] {
  const { alerts, playbooks, incidents } = run.report;
  const lines = [`ran on ${run.stack}; the pipeline was quiet ${(run.quietAfterMs / 1000).toFixed(1)} s after the last event was published`];
  for (const scenario of run.scenarios) {
    const own = alerts.filter((a) => run.scenariosOf.get(a.id)?.includes(scenario.name));
    lines.push(`${scenario.name}: ${scenario.events} events, ${own.length} alert(s)`);
    for (const a of own) lines.push(`  ${a.rule.level.padEnd(13)} ${a.rule.title}  on ${a.entity.type}:${a.entity.id}  (${a.id})`);
  }
  lines.push(`playbook runs: ${playbooks.length}`);
  for (const p of playbooks) lines.push(`  ${p.state.padEnd(17)} ${p.workflowId}  (${p.alerts.length} alert(s))`);
  lines.push(`incidents: ${incidents.length}`);
  for (const i of incidents) lines.push(`  ${i.severity.padEnd(13)} ${i.id}  (${i.alerts.length} alert(s), ${i.entities.map((e) => `${e.type}:${e.id}`).join(', ')})`);
  return lines;
}

function verdictLines(verdicts: Verdict[]): string[] {
  return verdicts.flatMap(({ name, result }) => {
    if (!result) return [`NONE ${name} (no ${name}.expect.yml)`];
    return [`${result.failures.length === 0 ? 'PASS' : 'FAIL'} ${name}`, ...result.failures.map((f) => `  ${f}`)];
  });
}

export function registerScenarioCommands(program: Command, logger: Logger): void {
  program
    .command('scenario')
    .description('Attack scenarios: replay them through the whole pipeline and check what they raise')
    .command('run <files...>')
    .description('Replay scenario files (rules/scenarios/*.ndjson) through MQTT, ingest and Temporal; wait until the pipeline is quiet; report alerts, incidents, playbook runs')
    .option('--json', 'print one JSON object {alerts, incidents, playbooks} on stdout')
    .option('--speed <factor>', 'replay speed-up (event times keep their recorded spacing)', '100')
    .option('--timeout <duration>', 'give up (VGL_SCENARIO_TIMEOUT) if the pipeline is not quiet by then', '5m')
    .action(async (files: string[], opts: { json?: boolean; speed: string; timeout: string }) => {
      const speed = Number(opts.speed);
      if (!(speed > 0)) throw new VigilError('VGL_CONFIG_INVALID', `--speed must be a positive number, got '${opts.speed}'`, { field: '--speed' });
      let timeoutMs: number;
      try {
        timeoutMs = parseDuration(opts.timeout);
      } catch (err) {
        throw new VigilError('VGL_CONFIG_INVALID', (err as Error).message, { field: '--timeout' });
      }
      // Ctrl-C ends the run at once: process.exit runs the exit hooks that kill the embedded dev server and remove
      // the run's temporary folder (the in-process broker, worker and ingest end with the process).
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
      const run = await runScenarios(loadConfig(), { files, speed, timeoutMs }, logger);
      const verdicts = judge(run);
      // Not an expectation, but a run whose events did not all reach Temporal must say so wherever the output goes.
      if (run.deadLetteredEvents > 0) process.stderr.write(`warning: ingest dead-lettered ${run.deadLetteredEvents} event(s) of this run (see its dead-letter topic)\n`);
      if (opts.json) {
        writeLine(JSON.stringify(run.report));
        for (const line of verdictLines(verdicts)) process.stderr.write(`${line}\n`);
      } else {
        for (const line of [...summary(run), 'expectations:', ...verdictLines(verdicts)]) writeLine(line);
      }
      if (verdicts.some((v) => v.result && v.result.failures.length > 0)) process.exitCode = 1;
    });
}
