/**
 * Reads rule statistics back from the tenants' rule statistics workflows (`rule-stats:{tenant}`), for `vigil rules
 * stats` and `vigil rules promote`, and finds an alert's correlator there (verdicts from the CLI and the HTTP API). With a tenant: that tenant's workflow only; without: every running one (a
 * visibility query), summed per rule across tenants.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { alertLocationQuery, ruleStatsQuery, type AlertLocation, type RuleStatsRow } from '../contracts/rule-stats/messages';
import { VigilError } from '../error-codes';
import { ruleStatsWorkflowId } from './workflow-ids';

/** A rule's statistics summed over the tenants read; `tenants` names them. */
export interface RuleStats extends RuleStatsRow {
  tenants: string[];
}

async function tenantRows(client: Client, tenant: string): Promise<RuleStatsRow[]> {
  try {
    return (await client.workflow.getHandle(ruleStatsWorkflowId(tenant)).query(ruleStatsQuery)).rules;
  } catch (err) {
    // No alert and no verdict yet in this tenant: nothing started its statistics workflow.
    if (err instanceof WorkflowNotFoundError) return [];
    throw err;
  }
}

export async function readRuleStats(client: Client, tenant?: string): Promise<RuleStats[]> {
  const tenants: string[] = [];
  if (tenant !== undefined) tenants.push(tenant);
  else {
    for await (const wf of client.workflow.list({ query: `WorkflowType = 'ruleStatsWorkflow' AND ExecutionStatus = 'Running'` })) {
      tenants.push(wf.workflowId.slice(ruleStatsWorkflowId('').length));
    }
  }
  const byRule = new Map<string, RuleStats>();
  for (const t of tenants) {
    for (const row of await tenantRows(client, t)) {
      const sum = byRule.get(row.ruleId);
      if (!sum) {
        byRule.set(row.ruleId, { ...row, tenants: [t] });
        continue;
      }
      sum.alerts += row.alerts;
      sum.shadowAlerts += row.shadowAlerts;
      sum.truePositives += row.truePositives;
      sum.falsePositives += row.falsePositives;
      if (row.lastAlertAt > sum.lastAlertAt) Object.assign(sum, { lastAlertAt: row.lastAlertAt, shadow: row.shadow, title: row.title });
      sum.tenants.push(t);
    }
  }
  return [...byRule.values()];
}

/** TP / (TP + FP); undefined before any verdict. */
export function precisionOf(row: Pick<RuleStatsRow, 'truePositives' | 'falsePositives'>): number | undefined {
  const judged = row.truePositives + row.falsePositives;
  return judged === 0 ? undefined : row.truePositives / judged;
}

/** Where a tenant's alert lives (its rule statistics workflow keeps the last alerts), or VGL_ALERT_NOT_FOUND. */
export async function locateAlert(client: Client, tenant: string, alertId: string): Promise<AlertLocation> {
  let location: AlertLocation | undefined;
  try {
    location = await client.workflow.getHandle(ruleStatsWorkflowId(tenant)).query(alertLocationQuery, alertId);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  if (!location) throw new VigilError('VGL_ALERT_NOT_FOUND', `tenant ${tenant} has no recent alert ${alertId}`, { field: 'alert-id' });
  return location;
}
