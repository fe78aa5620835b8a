/**
 * What a scenario run produced, read back from Temporal once the pipeline is quiet: the alerts whose events are the
 * run's (event ids `<scenario>:<runId>:<line>`, scenario-replay.ts), the incidents holding them, and the playbook
 * runs deciding on them. Alerts come from the correlators' state query (describe/query are consistent; the OpenAlerts
 * search attribute may lag), incidents from theirs (incidents.ts), playbook runs from their status query.
 */
import type { Client } from '@temporalio/client';
import { playbookStatusQuery } from '../contracts/playbook/messages';
import { entityStateQuery } from '../contracts/correlator/messages';
import type { Alert } from '../model/alert';
import { collectIncidents } from './incidents';
import type { QuietPipeline } from './quiescence';
import { ScenarioReportSchema, type ScenarioAlert, type ScenarioPlaybook, type ScenarioReport } from './report';

export interface ScenarioOutcome {
  report: ScenarioReport;
  /** Which scenarios (names) each alert's events came from. */
  scenariosOf: Map<string, string[]>;
}

/** `runPrefixes`: event id prefix (`<scenario>:<runId>:`) → scenario name. */
export async function readOutcome(client: Client, tenant: string, quiet: QuietPipeline, runPrefixes: ReadonlyMap<string, string>): Promise<ScenarioOutcome> {
  const scenariosOf = new Map<string, string[]>();
  const raised: Alert[] = [];
  for (const workflowId of quiet.correlators) {
    const view = await client.workflow.getHandle(workflowId).query(entityStateQuery);
    for (const alert of view.openAlerts) {
      const scenarios = [...runPrefixes].filter(([prefix]) => alert.events.some((e) => e.id.startsWith(prefix))).map(([, name]) => name);
      if (scenarios.length === 0) continue;
      scenariosOf.set(alert.id, scenarios);
      raised.push(alert);
    }
  }
  raised.sort((a, b) => a.raisedAt - b.raisedAt || a.id.localeCompare(b.id));
  const alertIds = new Set(raised.map((a) => a.id));
  const { incidents, incidentOf } = await collectIncidents(client, raised);
  const alerts: ScenarioAlert[] = raised.map((a) => ({
    id: a.id,
    rule: { id: a.rule.id, title: a.rule.title, level: a.rule.level },
    entity: a.entity,
    entities: a.entities,
    incident: incidentOf.get(a.id) ?? null,
  }));

  const playbooks: ScenarioPlaybook[] = [];
  for (const run of quiet.playbooks) {
    const status = await client.workflow.getHandle(run.workflowId, run.runId).query(playbookStatusQuery);
    const covered = status.alerts.map((a) => a.id).filter((id) => alertIds.has(id));
    if (covered.length === 0) continue;
    const targetPrefix = `playbook:${status.playbook}:${tenant}:`;
    playbooks.push({
      workflowId: status.workflowId,
      name: status.playbook,
      target: status.workflowId.startsWith(targetPrefix) ? status.workflowId.slice(targetPrefix.length) : null,
      state: status.state,
      alerts: covered,
    });
  }
  playbooks.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
  // The contract is checked on the way out: a field this code forgot fails here, not in a consumer's parser.
  const report = ScenarioReportSchema.parse({ alerts, incidents, playbooks });
  return { report, scenariosOf };
}
