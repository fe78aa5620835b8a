/**
 * Finds another running playbook that still holds a containment target, so a run whose TTL ends hands
 * its undo over instead of reverting under the other's feet. Reads visibility (runs of the tenant in
 * state `contained`) and then each candidate's status; the one holding longest (no deadline, or the
 * latest) wins. Visibility lags by a moment: a run contained within the last second may be missed,
 * and then both revert, which every undo tolerates (404 / already-active count as done).
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { ContainmentHolderRequest } from '../src/contracts/playbook/activities';
import { playbookStatusQuery } from '../src/contracts/playbook/messages';
import { PlaybookState, TenantId } from '../src/temporal/search-attributes';

export async function findContainmentHolder(
  client: Client | undefined,
  logger: Logger,
  request: ContainmentHolderRequest,
): Promise<string | undefined> {
  if (!client) return undefined;
  const tenant = request.tenant.replace(/'/g, "''");
  const query = `WorkflowType = 'playbookWorkflow' AND ExecutionStatus = 'Running' AND ${TenantId.name} = '${tenant}' AND ${PlaybookState.name} = 'contained'`;
  let best: { workflowId: string; until: number } | undefined;
  for await (const info of client.workflow.list({ query })) {
    if (info.workflowId === request.excludeWorkflowId) continue;
    try {
      const status = await client.workflow.getHandle(info.workflowId).query(playbookStatusQuery);
      if (status.state !== 'contained' || !status.holds.includes(request.target)) continue;
      const until = status.waitUntil ?? Number.POSITIVE_INFINITY;
      if (!best || until > best.until) best = { workflowId: info.workflowId, until };
    } catch (err) {
      logger.warn({ workflowId: info.workflowId, err: (err as Error).message }, 'could not read a candidate containment holder');
    }
  }
  return best?.workflowId;
}
