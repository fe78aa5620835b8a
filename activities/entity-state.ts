/**
 * Reads the entity's live risk and timeline from its correlator (a workflow query needs a client, so it
 * is an activity). A correlator that is gone (quiet-period end) or unreachable yields undefined: the
 * approval request then shows the alert alone rather than failing the playbook.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { entityStateQuery } from '../src/contracts/correlator/messages';
import type { EntitySnapshot } from '../src/contracts/playbook/notice';

const timelineShown = 10;

/**
 * `priorContainments` counts earlier runs of `playbook` on this entity that applied containment (from
 * the PlaybookReports the correlator keeps): the playbook escalates its TTL with it.
 */
export async function readEntitySnapshot(
  client: Client | undefined,
  logger: Logger,
  correlatorWorkflowId: string,
  playbook: string,
): Promise<EntitySnapshot | undefined> {
  if (!client) return undefined;
  try {
    const view = await client.workflow.getHandle(correlatorWorkflowId).query(entityStateQuery);
    const priorContainments = view.playbooks.filter((report) => report.playbook === playbook && (report.containment?.applied.length ?? 0) > 0).length;
    return { riskScore: view.riskScore, alertCount: view.alertCount, timeline: view.timeline.slice(-timelineShown), priorContainments };
  } catch (err) {
    logger.warn({ correlatorWorkflowId, err: (err as Error).message }, 'entity state unavailable for playbook notice');
    return undefined;
  }
}
