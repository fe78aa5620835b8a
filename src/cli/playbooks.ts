/**
 * Playbook commands: decide (`vigil approve|deny`), steer containment (`vigil playbooks keep|release`),
 * read (`vigil playbooks list|show`), and serve chat/HTTP approvals (`vigil chatops`). Decisions go
 * through the playbook's validated update, so a refusal comes back with its VGL_APPROVAL_* code (exit 2).
 * Decisions and containment commands act as the OS user running the CLI, mapped to an identity by
 * rules/responses `operators` (see cli-operator.ts) and scoped to that identity's tenants. Reading is for
 * operators who already hold Temporal access, and is not scoped.
 */
import { userInfo } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { apiCallers } from '../chatops/api-routes';
import { buildChatopsApp } from '../chatops/app';
import { loadChatopsSettings } from '../chatops/chatops-settings';
import { commandContainment, decidePlaybook, listPlaybookRuns, playbookStatus, type PlaybookRunRow } from '../chatops/playbook-runs';
import { loadConfig } from '../config';
import { VigilError } from '../error-codes';
import { resolveCliActor, type CliActor } from '../response/cli-operator';
import { loadResponseConfig } from '../response/response-config';
import { connectClient } from '../temporal/client';
import type { PlaybookStatus } from '../contracts/playbook/messages';
import { withClient, writeLine as write } from './cli-io';

function formatStatus(status: PlaybookStatus): string {
  return [
    `${status.workflowId}  ${status.state}  playbook ${status.playbook}  alert ${status.alertId}`,
    `alerts (${status.alerts.length}):`,
    ...status.alerts.map((a) => `  ${a.id}  ${a.rule.level.padEnd(8)} ${a.rule.title}  on ${a.entity.type} ${a.entity.id}  (${a.correlatorWorkflowId})`),
    `asked: ${status.askedGroups.join(' → ') || '-'}  approvals needed: ${status.approvalsNeeded}${status.waitUntil ? `  waiting until ${new Date(status.waitUntil).toISOString()}` : ''}`,
    ...(status.entity
      ? [`entity risk ${status.entity.riskScore}, ${status.entity.alertCount} alerts; timeline:`, ...status.entity.timeline.map((t) => `  ${new Date(t.time).toISOString()}  ${t.summary}`)]
      : []),
    'decisions:',
    ...status.decisions.map((d) => `  ${new Date(d.at).toISOString()}  ${d.decision.padEnd(7)} ${d.by} via ${d.via}${d.reason ? `: ${d.reason}` : ''}`),
    ...(status.refused.length > 0 ? ['refused:', ...status.refused.map((r) => `  ${new Date(r.at).toISOString()}  ${r.by} via ${r.via}: ${r.code}`)] : []),
    'actions:',
    ...status.actions.map((a) => `  ${a}`),
  ].join('\n');
}

function formatRow(row: PlaybookRunRow): string {
  return [row.startTime, (row.state ?? '-').padEnd(17), row.tenant ?? '-', row.workflowId, `rule ${row.ruleId ?? '-'}`].join('  ');
}

const asOption = ['--as <identity>', 'decide for another approver identity (only one your operators entry lists in actFor)'] as const;

/** The identity this OS user acts as, from VIGIL_RULES_DIR/responses; refused before anything is sent. Incidents use it too. */
export function cliActor(as: string | undefined, logger: Logger): CliActor {
  const { config: responses, errors } = loadResponseConfig(path.join(loadConfig().VIGIL_RULES_DIR, 'responses'));
  for (const err of errors) logger.error({ code: err.code, location: err.location }, err.message);
  return resolveCliActor(responses, userInfo().username, as);
}

export const actedAs = ({ identity, osUser }: CliActor): string => `${identity.name} (OS user ${osUser})`;

function registerDecision(program: Command, decision: 'approve' | 'deny', logger: Logger): void {
  program
    .command(`${decision} <workflow-id>`)
    .description(`${decision === 'approve' ? 'Approve' : 'Deny'} a playbook run waiting for approval, as your OS user's identity (rules/responses operators)`)
    .option(...asOption)
    .option('--reason <text>', 'why; recorded with the decision')
    .action(async (workflowId: string, opts: { as?: string; reason?: string }) => {
      const actor = cliActor(opts.as, logger);
      const input = { decision, by: actor.identity.name, actor: actor.osUser, via: 'cli' as const, ...(opts.reason ? { reason: opts.reason } : {}) };
      const status = await withClient((client) => decidePlaybook(client, workflowId, input, actor.identity.tenants));
      write(`${decision === 'approve' ? 'approved' : 'denied'} ${workflowId} as ${actedAs(actor)}; run is now ${status.state}`);
    });
}

export function registerPlaybookCommands(program: Command, logger: Logger): void {
  registerDecision(program, 'approve', logger);
  registerDecision(program, 'deny', logger);

  const playbooks = program.command('playbooks').description('Response playbook runs');
  playbooks
    .command('list')
    .description('List playbook runs (newest first as visibility returns them)')
    .option('--awaiting', 'only runs waiting for an approver')
    .option('--tenant <tenant>', 'only this tenant')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { awaiting?: boolean; tenant?: string; json?: boolean }) => {
      const rows = await withClient((client) => listPlaybookRuns(client, { awaiting: opts.awaiting, scope: '*', ...(opts.tenant ? { tenant: opts.tenant } : {}) }));
      if (opts.json) for (const row of rows) write(JSON.stringify(row));
      else write(rows.length > 0 ? rows.map(formatRow).join('\n') : opts.awaiting ? 'no playbook is waiting for approval' : 'no playbook runs');
    });
  playbooks
    .command('show <workflow-id>')
    .description('Show a playbook run: state, decisions, refusals, actions')
    .option('--json', 'print the status as JSON')
    .action(async (workflowId: string, opts: { json?: boolean }) => {
      const status = await withClient((client) => playbookStatus(client, workflowId, '*'));
      write(opts.json ? JSON.stringify(status) : formatStatus(status));
    });
  for (const command of ['keep', 'release'] as const) {
    playbooks
      .command(`${command} <workflow-id>`)
      .description(command === 'keep' ? 'Keep an active containment past its TTL' : 'Release an active containment now (runs its undo)')
      .option(...asOption)
      .option('--reason <text>', 'why')
      .action(async (workflowId: string, opts: { as?: string; reason?: string }) => {
        const actor = cliActor(opts.as, logger);
        const input = { command, by: actor.identity.name, actor: actor.osUser, via: 'cli' as const, ...(opts.reason ? { reason: opts.reason } : {}) };
        await withClient((client) => commandContainment(client, workflowId, input, actor.identity.tenants));
        write(`sent ${command} for ${workflowId} as ${actedAs(actor)}`);
      });
  }

  program
    .command('chatops')
    .description('Serve Slack slash-command/interactivity endpoints and the JSON approval API')
    .action(async () => {
      const config = loadConfig();
      const settings = loadChatopsSettings();
      const { config: responses, errors } = loadResponseConfig(path.join(config.VIGIL_RULES_DIR, 'responses'));
      for (const err of errors) logger.error({ code: err.code, location: err.location }, err.message);
      if (!settings.slackSigningSecret && settings.apiTokens.size === 0) {
        throw new VigilError('VGL_CONFIG_INVALID', 'set VIGIL_SLACK_SIGNING_SECRET and/or VIGIL_API_TOKENS, or nobody can approve through chatops', { field: 'VIGIL_API_TOKENS' });
      }
      // Checked before connecting, so a bad token mapping exits at once (buildChatopsApp checks again).
      apiCallers(settings.apiTokens, responses);
      const client = await connectClient(config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`, config.TEMPORAL_NAMESPACE);
      const app = buildChatopsApp({
        logger,
        client,
        responses,
        apiTokens: settings.apiTokens,
        slackResponseOrigins: settings.slackResponseOrigins,
        ...(settings.slackSigningSecret ? { slackSigningSecret: settings.slackSigningSecret } : {}),
      });
      const address = await app.listen({ port: settings.port, host: settings.host });
      logger.info({ address }, 'chatops listening');
      // Finish in-flight requests (a decision half-sent would leave the approver guessing), then leave.
      const stop = (): void => {
        void app.close().then(() => client.connection.close());
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
