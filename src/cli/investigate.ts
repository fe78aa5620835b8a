/**
 * `vigil alerts list` and `vigil entity show`: read alerts and entity state back through Temporal. A finding is one
 * alert, in the correlator of the entity that owns it; the other entities it names show it as a linked alert.
 */
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { VigilError } from '../error-codes';
import type { Alert } from '../model/alert';
import { EntityTypeSchema } from '../model/entity';
import { correlatorWorkflowId } from '../temporal/workflow-ids';
import { withClient, writeLine as write } from './cli-io';
import { entityStateQuery, type EntityStateView, type LinkedAlert } from '../contracts/correlator/messages';
import { describeScope, inScope } from '../response/tenant-scope';
import { actedAs, asOption, cliActor } from './cli-actor';
import { setAlertVerdict } from '../temporal/alert-verdict';

/** Alerts of every running correlator that has open ones (visibility query, then a state query each). */
export async function listAlerts(client: Client, tenant?: string): Promise<Alert[]> {
  const query = [`WorkflowType = 'correlatorWorkflow'`, `ExecutionStatus = 'Running'`, `OpenAlerts > 0`, ...(tenant ? [`TenantId = '${tenant.replace(/'/g, '')}'`] : [])].join(' AND ');
  const alerts: Alert[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const view = await client.workflow.getHandle(wf.workflowId).query(entityStateQuery);
    alerts.push(...view.openAlerts);
  }
  return alerts.sort((a, b) => b.raisedAt - a.raisedAt);
}

function formatAlert(a: Alert): string {
  return [new Date(a.raisedAt).toISOString(), a.rule.level.padEnd(8), a.tenant, `${a.entity.type}:${a.entity.id}`, a.rule.title, `(${a.eventCount} events, ${a.id}${a.huntId ? `, ${a.huntId}: retro-hunt, no playbook` : ''})`].join('  ');
}

/** A finding another entity owns: its alert lives in the owner's correlator, so that is where to look (and give a verdict). */
function formatLinked(a: LinkedAlert): string {
  return [new Date(a.time).toISOString(), a.rule.level.padEnd(8), `owned by ${a.owner.type}:${a.owner.id}`, a.rule.title, `(${a.alertId} in ${a.correlatorWorkflowId})`].join('  ');
}

function formatEntity(v: EntityStateView): string {
  const lines = [
    `${v.tenant} ${v.entity.type}:${v.entity.id}  risk ${v.riskScore}  events ${v.eventCount}  alerts ${v.alertCount} (${v.openAlerts.length} open)  rules ${v.rulesetVersion}`,
    'open alerts:',
    ...v.openAlerts.map((a) => `  ${formatAlert(a)}`),
    ...(v.shadowAlerts?.length ? ['would-be alerts of shadow rules (not notified, no playbook):', ...v.shadowAlerts.map((a) => `  ${formatAlert(a)}  ${a.status}`)] : []),
    'linked alerts (owned by another entity the finding names):',
    ...v.linkedAlerts.map((a) => `  ${formatLinked(a)}`),
    'timeline:',
    ...v.timeline.map((t) => {
      const links = (t.linkedAlerts ?? []).map((l) => `  → ${l.alertId} in ${l.correlatorWorkflowId}`).join('');
      return `  ${new Date(t.time).toISOString()}  ${t.source.padEnd(10)} ${t.huntId ? `[${t.huntId}] ` : ''}${t.rules.join(', ')}${t.shadowRules ? ` (shadow: ${t.shadowRules.join(', ')})` : ''}  ${t.summary}${links}`;
    }),
    'playbooks:',
    ...v.playbooks.map((p) => `  ${p.workflowId}  ${p.outcome}  ${p.actions.join('; ')}`),
  ];
  return lines.join('\n');
}

const verdicts = { tp: 'true_positive', fp: 'false_positive', true_positive: 'true_positive', false_positive: 'false_positive' } as const;

/**
 * Sets an analyst verdict through the alert's correlator (the verdict update, as the chat button does), as the OS
 * user's identity (rules/responses operators) and only in a tenant that identity serves. The correlator hands it on
 * to the tenant's rule statistics.
 */
async function setVerdict(alertId: string, verdictText: string, opts: { tenant: string; as?: string; note?: string }, logger: Logger): Promise<Alert> {
  const verdict = Object.hasOwn(verdicts, verdictText) ? verdicts[verdictText as keyof typeof verdicts] : undefined;
  if (!verdict) throw new VigilError('VGL_CONFIG_INVALID', `verdict must be tp, fp, true_positive or false_positive, got '${verdictText}'`, { field: 'verdict' });
  const actor = cliActor(opts.as, logger);
  if (!inScope(actor.identity.tenants, opts.tenant)) {
    throw new VigilError('VGL_ALERT_NOT_FOUND', `${actedAs(actor)} serves ${describeScope(actor.identity.tenants)}, not tenant ${opts.tenant}`, { field: '--tenant' });
  }
  return withClient((client) => setAlertVerdict(client, opts.tenant, { alertId, verdict, by: actor.identity.name, ...(opts.note ? { note: opts.note } : {}) }));
}

export function registerInvestigateCommands(program: Command, logger: Logger): void {
  const alerts = program.command('alerts').description('Alerts');
  alerts
    .command('verdict <alert-id> <verdict>')
    .description("Set an analyst verdict (tp or fp) on an alert, as your OS user's identity (rules/responses operators)")
    .requiredOption('--tenant <tenant>', "the alert's tenant")
    .option(...asOption)
    .option('--note <text>', 'why; recorded with the verdict')
    .action(async (alertId: string, verdict: string, opts: { tenant: string; as?: string; note?: string }) => {
      const alert = await setVerdict(alertId, verdict, opts, logger);
      write(`${alert.id} (${alert.rule.title}) is now ${alert.status}`);
    });
  alerts
    .command('list')
    .description('List open alerts of running correlators')
    .option('--tenant <tenant>', 'only this tenant')
    .option('--json', 'one JSON alert per line')
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      const alerts = await withClient((client) => listAlerts(client, opts.tenant));
      if (opts.json) for (const a of alerts) write(JSON.stringify(a));
      else write(alerts.length ? alerts.map(formatAlert).join('\n') : 'no open alerts');
    });

  program
    .command('entity')
    .description('Entities')
    .command('show <tenant> <type> <id>')
    .description('Show an entity correlator: risk, open alerts, timeline, playbooks')
    .option('--json', 'print the state as JSON')
    .action(async (tenant: string, type: string, id: string, opts: { json?: boolean }) => {
      const entityType = EntityTypeSchema.safeParse(type);
      if (!entityType.success) throw new VigilError('VGL_CONFIG_INVALID', `unknown entity type '${type}'; one of ${EntityTypeSchema.options.join(', ')}`, { field: 'type' });
      const workflowId = correlatorWorkflowId(tenant, { type: entityType.data, id });
      const view = await withClient((client) => client.workflow.getHandle(workflowId).query(entityStateQuery));
      write(opts.json ? JSON.stringify(view) : formatEntity(view));
    });
}
