/**
 * The one place chat, HTTP and the CLI talk to playbook runs: send a decision or a containment command,
 * read a status, list runs from visibility. Failures become VigilErrors with the playbook's own codes
 * (the decide update's validator reports VGL_APPROVAL_* as the ApplicationFailure type).
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { errorCodes, VigilError, type ErrorCode } from '../error-codes';
import { AlertId, PlaybookState, RuleId, TenantId } from '../temporal/search-attributes';
import {
  containmentSignal,
  decideUpdate,
  playbookStatusQuery,
  type ContainmentCommand,
  type DecideInput,
  type PlaybookStatus,
} from '../../workflows/playbook/messages';

export const playbookWorkflowType = 'playbookWorkflow';
/** States in which a run waits for an approver. */
export const awaitingStates = ['awaiting_approval', 'escalated'] as const;

function isErrorCode(type: string | undefined | null): type is ErrorCode {
  return typeof type === 'string' && type in errorCodes;
}

async function explainMissing(client: Client, workflowId: string): Promise<VigilError> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return new VigilError('VGL_APPROVAL_CLOSED', `playbook run ${workflowId} is ${description.status.name.toLowerCase()}`, { field: 'workflowId' });
  } catch {
    return new VigilError('VGL_PLAYBOOK_NOT_FOUND', `no playbook run ${workflowId}`, { field: 'workflowId' });
  }
}

/** Sends a decision through the validated update; resolves with the run's status after it counted. */
export async function decidePlaybook(client: Client, workflowId: string, input: DecideInput): Promise<PlaybookStatus> {
  try {
    return await client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, { args: [input] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && isErrorCode(err.cause.type)) {
      throw new VigilError(err.cause.type, err.cause.message, { field: 'by' });
    }
    if (err instanceof WorkflowNotFoundError) throw await explainMissing(client, workflowId);
    throw err;
  }
}

export async function commandContainment(client: Client, workflowId: string, command: ContainmentCommand): Promise<void> {
  try {
    await client.workflow.getHandle(workflowId).signal(containmentSignal, command);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw await explainMissing(client, workflowId);
    throw err;
  }
}

export async function playbookStatus(client: Client, workflowId: string): Promise<PlaybookStatus> {
  try {
    return await client.workflow.getHandle(workflowId).query(playbookStatusQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw await explainMissing(client, workflowId);
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

/** The visibility query behind `vigil playbooks list` and GET /api/v1/playbooks (also usable in the Temporal UI). */
export function playbookListQuery(options: { awaiting?: boolean; tenant?: string }): string {
  const clauses = [`WorkflowType = '${playbookWorkflowType}'`];
  if (options.awaiting) clauses.push(`ExecutionStatus = 'Running'`, `(${awaitingStates.map((s) => `PlaybookState = '${s}'`).join(' OR ')})`);
  if (options.tenant) clauses.push(`TenantId = '${options.tenant.replace(/'/g, "''")}'`);
  return clauses.join(' AND ');
}

export async function listPlaybookRuns(client: Client, options: { awaiting?: boolean; tenant?: string; limit?: number }): Promise<PlaybookRunRow[]> {
  const rows: PlaybookRunRow[] = [];
  const limit = options.limit ?? 200;
  for await (const info of client.workflow.list({ query: playbookListQuery(options) })) {
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
