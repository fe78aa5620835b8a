/**
 * The one place chat, HTTP and the CLI talk to playbook runs: send a decision or a containment command,
 * read a status, list runs from visibility. Failures become VigilErrors with the playbook's own codes
 * (the decide update's validator reports VGL_APPROVAL_* as the ApplicationFailure type).
 *
 * Every call takes the caller's tenant scope. Before anything reaches a run, the run is described and
 * its TenantId search attribute (set by the run itself, never by a caller) checked against the scope, so
 * a caller cannot act on another tenant's run by knowing its id. An out-of-scope run is reported exactly
 * like a missing one, so ids of other tenants' runs cannot be probed either.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { errorCodes, VigilError, type ErrorCode } from '../error-codes';
import { describeScope, inScope, type TenantScope } from '../response/tenant-scope';
import { AlertId, PlaybookState, RuleId, TenantId } from '../temporal/search-attributes';
import {
  containmentSignal,
  decideUpdate,
  playbookStatusQuery,
  userResponseSignal,
  type ContainmentCommand,
  type DecideInput,
  type PlaybookStatus,
  type UserResponse,
} from '../contracts/playbook/messages';

export const playbookWorkflowType = 'playbookWorkflow';
/** States in which a run waits for an approver. */
export const awaitingStates = ['awaiting_approval', 'escalated'] as const;

function isErrorCode(type: string | undefined | null): type is ErrorCode {
  return typeof type === 'string' && type in errorCodes;
}

const notFound = (workflowId: string, scope: TenantScope): VigilError =>
  new VigilError('VGL_PLAYBOOK_NOT_FOUND', `no playbook run ${workflowId} in ${describeScope(scope)}`, { field: 'workflowId' });

/**
 * Whether `workflowId` exists, is of `workflowType` and belongs to a tenant in `scope`. The type check keeps scoped
 * callers to the kind of workflow they asked for: correlators carry TenantId too. Incidents use it as well.
 */
export async function isInScope(client: Client, workflowId: string, workflowType: string, scope: TenantScope): Promise<boolean> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return description.type === workflowType && inScope(scope, description.typedSearchAttributes.get(TenantId));
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    return false;
  }
}

/** Resolves when `workflowId` is a playbook run of a tenant in `scope`; throws VGL_PLAYBOOK_NOT_FOUND otherwise. */
async function requireRunInScope(client: Client, workflowId: string, scope: TenantScope): Promise<void> {
  if (!(await isInScope(client, workflowId, playbookWorkflowType, scope))) throw notFound(workflowId, scope);
}

async function explainMissing(client: Client, workflowId: string, scope: TenantScope): Promise<VigilError> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return new VigilError('VGL_APPROVAL_CLOSED', `playbook run ${workflowId} is ${description.status.name.toLowerCase()}`, { field: 'workflowId' });
  } catch {
    return notFound(workflowId, scope);
  }
}

/** Sends a decision through the validated update; resolves with the run's status after it counted. */
export async function decidePlaybook(client: Client, workflowId: string, input: DecideInput, scope: TenantScope): Promise<PlaybookStatus> {
  await requireRunInScope(client, workflowId, scope);
  try {
    return await client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, { args: [input] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && isErrorCode(err.cause.type)) {
      throw new VigilError(err.cause.type, err.cause.message, { field: 'by' });
    }
    if (err instanceof WorkflowNotFoundError) throw await explainMissing(client, workflowId, scope);
    throw err;
  }
}

export async function commandContainment(client: Client, workflowId: string, command: ContainmentCommand, scope: TenantScope): Promise<void> {
  await requireRunInScope(client, workflowId, scope);
  try {
    await client.workflow.getHandle(workflowId).signal(containmentSignal, command);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw await explainMissing(client, workflowId, scope);
    throw err;
  }
}

/**
 * The affected user's answer to "did you just do this?". Not tenant-scoped: the user need not be an
 * approver, and the run itself accepts the answer only from the user it asked. The run must still be a
 * playbook run, so no other workflow receives the signal.
 */
export async function answerUserQuestion(client: Client, workflowId: string, response: UserResponse): Promise<void> {
  await requireRunInScope(client, workflowId, '*');
  await client.workflow.getHandle(workflowId).signal(userResponseSignal, response);
}

export async function playbookStatus(client: Client, workflowId: string, scope: TenantScope): Promise<PlaybookStatus> {
  await requireRunInScope(client, workflowId, scope);
  try {
    return await client.workflow.getHandle(workflowId).query(playbookStatusQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw await explainMissing(client, workflowId, scope);
    throw err;
  }
}

export interface PlaybookRunRow {
  workflowId: string;
  tenant?: string;
  alertId?: string;
  ruleId?: string;
  state?: string;
  status: string;
  startTime: string;
}

const quoted = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/**
 * The visibility query behind `vigil playbooks list` and GET /api/v1/playbooks (also usable in the
 * Temporal UI): runs of `tenants` only, or of every tenant when absent.
 */
export function playbookListQuery(options: { awaiting?: boolean; tenants?: readonly string[] }): string {
  const clauses = [`WorkflowType = '${playbookWorkflowType}'`];
  if (options.awaiting) clauses.push(`ExecutionStatus = 'Running'`, `(${awaitingStates.map((s) => `PlaybookState = '${s}'`).join(' OR ')})`);
  if (options.tenants) clauses.push(`TenantId IN (${options.tenants.map(quoted).join(', ')})`);
  return clauses.join(' AND ');
}

/** Runs the scope may see, narrowed to `tenant` when given (a tenant outside the scope lists nothing). */
export async function listPlaybookRuns(client: Client, options: { awaiting?: boolean; tenant?: string; limit?: number; scope: TenantScope }): Promise<PlaybookRunRow[]> {
  const { scope, tenant } = options;
  if (tenant !== undefined && !inScope(scope, tenant)) return [];
  const tenants = tenant !== undefined ? [tenant] : scope === '*' ? undefined : scope;
  const rows: PlaybookRunRow[] = [];
  const limit = options.limit ?? 200;
  for await (const info of client.workflow.list({ query: playbookListQuery({ awaiting: options.awaiting, ...(tenants ? { tenants } : {}) }) })) {
    const attributes = info.typedSearchAttributes;
    rows.push({
      workflowId: info.workflowId,
      tenant: attributes.get(TenantId),
      alertId: attributes.get(AlertId),
      ruleId: attributes.get(RuleId),
      state: attributes.get(PlaybookState),
      status: info.status.name,
      startTime: info.startTime.toISOString(),
    });
    if (rows.length >= limit) break;
  }
  return rows;
}
