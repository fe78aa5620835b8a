/**
 * recordRuleStats: hands a correlator's alert and verdict records to its tenant's rule statistics workflow with
 * signal-with-start (workflows/rule-stats), so the first record of a tenant starts it. A local activity of the
 * correlator, one per pass that raised alerts or applied verdicts, never per detection.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { RuleStatsInput } from '../src/contracts/rule-stats/input';
import { ruleStatsSignal, type RuleStatsBatch } from '../src/contracts/rule-stats/messages';
import { TenantId } from '../src/temporal/search-attributes';
import { ruleStatsWorkflowId, tenantTaskQueue } from '../src/temporal/workflow-ids';

export async function sendRuleStats(client: Client | undefined, logger: Logger, tenant: string, batch: RuleStatsBatch): Promise<void> {
  // Only benches build workers without a client; statistics are advisory there.
  if (!client) {
    logger.debug({ tenant, records: batch.records.length }, 'no Temporal client: rule statistics not recorded');
    return;
  }
  await client.workflow.signalWithStart<(input: RuleStatsInput) => Promise<void>, [RuleStatsBatch]>('ruleStatsWorkflow', {
    workflowId: ruleStatsWorkflowId(tenant),
    taskQueue: tenantTaskQueue(tenant),
    args: [{ tenant }],
    signal: ruleStatsSignal,
    signalArgs: [batch],
    typedSearchAttributes: [{ key: TenantId, value: tenant }],
  });
}
