/**
 * `vigil incidents list|show|ack|resolve`: incidents (workflows/incident) read back through Temporal, and moved by
 * an analyst. Reading is for operators who already hold Temporal access and is not scoped (as `vigil playbooks`);
 * acknowledge and resolve act as the OS user's identity (rules/responses operators, see cli-operator.ts) and only on
 * incidents of that identity's tenants.
 */
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { changeIncident, incidentStatus, listIncidents, resolveIncident, type IncidentRow } from '../chatops/incident-actions';
import type { IncidentView } from '../contracts/incident/messages';
import { VigilError } from '../error-codes';
import { incidentVerdicts, type IncidentVerdict } from '../model/incident';
import { withClient, writeLine as write } from './cli-io';
import { actedAs, cliActor } from './cli-actor';

function formatRow(row: IncidentRow): string {
  return [row.startTime, (row.severity ?? '-').padEnd(8), (row.status ?? '-').padEnd(12), row.tenant ?? '-', row.id, `${row.alerts ?? '?'} alerts`, row.tactics ?? ''].join('  ');
}

function formatIncident(v: IncidentView): string {
  return [
    `${v.tenant} ${v.id}  ${v.severity}  ${v.status}${v.verdict ? ` (${v.verdict})` : ''}${v.mergedInto ? ` into ${v.mergedInto.id}` : ''}  ${v.alertCount} alerts`,
    `tactics: ${v.tactics.join(' → ') || '-'}`,
    `entities: ${v.entities.map((e) => `${e.type}:${e.id}`).join(', ')}`,
    'alerts:',
    ...v.alerts.map((a) => `  ${new Date(a.raisedAt).toISOString()}  ${a.rule.level.padEnd(8)} ${a.rule.title}  on ${a.entity.type}:${a.entity.id}  (${a.id})`),
    'timeline:',
    ...v.timeline.map((t) => `  ${new Date(t.time).toISOString()}  ${t.source.padEnd(10)} ${t.rule}  ${t.entity}`),
    ...(v.playbooks.length > 0 ? ['playbooks:', ...v.playbooks.map((p) => `  ${p}`)] : []),
    ...(v.actions.length > 0 ? ['actions:', ...v.actions.map((a) => `  ${new Date(a.at).toISOString()}  ${a.by}: ${a.summary}`)] : []),
  ].join('\n');
}

export function registerIncidentCommands(program: Command, logger: Logger): void {
  const incidents = program.command('incidents').description('Incidents: related alerts grouped across entities');
  incidents
    .command('list')
    .description('List incidents (open, acknowledged, resolved; merged ones with --all)')
    .option('--tenant <tenant>', 'only this tenant')
    .option('--all', 'include incidents merged into others')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { tenant?: string; all?: boolean; json?: boolean }) => {
      const rows = await withClient((client) => listIncidents(client, { scope: '*', all: opts.all, ...(opts.tenant ? { tenant: opts.tenant } : {}) }));
      if (opts.json) for (const row of rows) write(JSON.stringify(row));
      else write(rows.length > 0 ? rows.map(formatRow).join('\n') : 'no incidents');
    });
  incidents
    .command('show <incident>')
    .description('Show an incident (its id, with --tenant, or its workflow id): alerts, entities, timeline, tactics')
    .option('--tenant <tenant>', "the incident's tenant")
    .option('--json', 'print the incident as JSON')
    .action(async (ref: string, opts: { tenant?: string; json?: boolean }) => {
      const view = await withClient(async (client) => incidentStatus(client, await resolveIncident(client, ref, opts.tenant, '*'), '*'));
      write(opts.json ? JSON.stringify(view) : formatIncident(view));
    });
  incidents
    .command('ack <incident>')
    .description("Acknowledge an open incident as your OS user's identity (rules/responses operators)")
    .option('--tenant <tenant>', "the incident's tenant")
    .option('--as <identity>', 'act for another identity your operators entry lists in actFor')
    .option('--note <text>', 'recorded with the acknowledgement')
    .action(async (ref: string, opts: { tenant?: string; as?: string; note?: string }) => {
      const actor = cliActor(opts.as, logger);
      const scope = actor.identity.tenants;
      const view = await withClient(async (client) =>
        changeIncident(client, await resolveIncident(client, ref, opts.tenant, scope), { kind: 'acknowledge', by: actor.identity.name, ...(opts.note ? { note: opts.note } : {}) }, scope),
      );
      write(`acknowledged ${view.id} as ${actedAs(actor)}`);
    });
  incidents
    .command('resolve <incident>')
    .description(`Resolve an incident with a verdict (${incidentVerdicts.join(', ')}) as your OS user's identity`)
    .requiredOption('--verdict <verdict>', incidentVerdicts.join(' | '))
    .option('--tenant <tenant>', "the incident's tenant")
    .option('--as <identity>', 'act for another identity your operators entry lists in actFor')
    .option('--note <text>', 'recorded with the resolution')
    .action(async (ref: string, opts: { tenant?: string; as?: string; note?: string; verdict: string }) => {
      if (!(incidentVerdicts as readonly string[]).includes(opts.verdict)) {
        throw new VigilError('VGL_INCIDENT_INVALID', `--verdict must be one of ${incidentVerdicts.join(', ')}, not '${opts.verdict}'`, { field: '--verdict' });
      }
      const actor = cliActor(opts.as, logger);
      const scope = actor.identity.tenants;
      const change = { kind: 'resolve' as const, by: actor.identity.name, verdict: opts.verdict as IncidentVerdict, ...(opts.note ? { note: opts.note } : {}) };
      const view = await withClient(async (client) => changeIncident(client, await resolveIncident(client, ref, opts.tenant, scope), change, scope));
      write(`resolved ${view.id} as ${view.verdict} by ${actedAs(actor)}`);
    });
}
