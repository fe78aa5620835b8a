/**
 * Incidents as people reach them (`vigil incidents` and the HTTP API; chat can call the same functions): list, show, acknowledge,
 * resolve. Reads and updates are scoped to the caller's tenants; an incident outside the scope is reported as not
 * found, so a scoped caller learns nothing about other tenants. Updates go through the incident's validated updates,
 * so a refusal comes back with its VGL_INCIDENT_INVALID message.
 */
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import {
  acknowledgeIncidentUpdate,
  incidentStateQuery,
  resolveIncidentUpdate,
  type AcknowledgeIncidentInput,
  type IncidentView,
  type ResolveIncidentInput,
} from '../contracts/incident/messages';
import { VigilError } from '../error-codes';
import { describeScope, inScope, type TenantScope } from '../response/tenant-scope';
import { IncidentSeverity, IncidentStatus, TenantId } from '../temporal/search-attributes';
import { isInScope } from './playbook-runs';
import { incidentWorkflowId } from '../temporal/workflow-ids';

export const incidentWorkflowType = 'incidentWorkflow';

/** One incident as visibility lists it (search attributes and memo: no query per incident). */
export interface IncidentRow {
  workflowId: string;
  id: string;
  tenant?: string;
  status?: string;
  severity?: string;
  alerts?: number;
  tactics?: string;
  entities?: string[];
  startTime: string;
}

const quote = (v: string): string => `'${v.replace(/'/g, '')}'`;

/** Incidents the scope may see, narrowed to `tenant` when given; merged ones only with `all`. */
export async function listIncidents(client: Client, options: { tenant?: string; all?: boolean; scope: TenantScope; limit?: number }): Promise<IncidentRow[]> {
  const { scope, tenant } = options;
  if (tenant !== undefined && !inScope(scope, tenant)) return [];
  const tenants = tenant !== undefined ? [tenant] : scope === '*' ? undefined : scope;
  const query = [
    `WorkflowType = '${incidentWorkflowType}'`,
    ...(tenants ? [`TenantId IN (${tenants.map(quote).join(', ')})`] : []),
    ...(options.all ? [] : [`IncidentStatus != 'merged'`]),
  ].join(' AND ');
  const rows: IncidentRow[] = [];
  for await (const info of client.workflow.list({ query })) {
    const memo = (info.memo ?? {}) as { alerts?: number; tactics?: string; entities?: string[] };
    const attributes = info.typedSearchAttributes;
    rows.push({
      workflowId: info.workflowId,
      id: info.workflowId.split(':').slice(2).join(':'),
      tenant: attributes.get(TenantId),
      status: attributes.get(IncidentStatus),
      severity: attributes.get(IncidentSeverity),
      ...(memo.alerts !== undefined ? { alerts: memo.alerts } : {}),
      ...(memo.tactics !== undefined ? { tactics: memo.tactics } : {}),
      ...(memo.entities !== undefined ? { entities: memo.entities } : {}),
      startTime: info.startTime.toISOString(),
    });
    if (rows.length >= (options.limit ?? 500)) break;
  }
  return rows;
}

/**
 * The workflow id an incident reference names: a workflow id (`incident:acme:inc-…`), or an incident id with its
 * tenant (`--tenant`), or an incident id alone, looked up among the incidents the scope may see.
 */
export async function resolveIncident(client: Client, ref: string, tenant: string | undefined, scope: TenantScope): Promise<string> {
  if (ref.startsWith('incident:')) return ref;
  if (tenant !== undefined) return incidentWorkflowId(tenant, ref);
  const match = (await listIncidents(client, { scope, all: true })).find((row) => row.id === ref);
  if (!match) throw notFound(ref, scope);
  return match.workflowId;
}

const notFound = (ref: string, scope: TenantScope): VigilError =>
  new VigilError('VGL_INCIDENT_NOT_FOUND', `no incident ${ref} in ${describeScope(scope)}`, { field: 'incident' });

async function requireInScope(client: Client, workflowId: string, scope: TenantScope): Promise<void> {
  if (!(await isInScope(client, workflowId, incidentWorkflowType, scope))) throw notFound(workflowId, scope);
}

export async function incidentStatus(client: Client, workflowId: string, scope: TenantScope): Promise<IncidentView> {
  await requireInScope(client, workflowId, scope);
  return client.workflow.getHandle(workflowId).query(incidentStateQuery);
}

export type IncidentChange = ({ kind: 'acknowledge' } & AcknowledgeIncidentInput) | ({ kind: 'resolve' } & ResolveIncidentInput);

export async function changeIncident(client: Client, workflowId: string, change: IncidentChange, scope: TenantScope): Promise<IncidentView> {
  await requireInScope(client, workflowId, scope);
  const handle = client.workflow.getHandle(workflowId);
  try {
    if (change.kind === 'acknowledge') return await handle.executeUpdate(acknowledgeIncidentUpdate, { args: [{ by: change.by, ...(change.note ? { note: change.note } : {}) }] });
    return await handle.executeUpdate(resolveIncidentUpdate, { args: [{ by: change.by, verdict: change.verdict, ...(change.note ? { note: change.note } : {}) }] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new VigilError('VGL_INCIDENT_INVALID', err.cause?.message ?? err.message, { field: 'incident' });
    throw err;
  }
}
