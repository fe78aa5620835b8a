/**
 * One long-lived rule statistics workflow per tenant (`rule-stats:{tenant}`), started by the recordRuleStats
 * activity's signal-with-start the first time a correlator of the tenant raises an alert or records a verdict. It
 * outlives every correlator (they complete and continue as new; the counts stay here), never completes, and
 * continues as new before its history grows large, carrying its bounded state (rule-stats-state.ts).
 */
import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import type { RuleStatsInput } from '../../src/contracts/rule-stats/input';
import { alertLocationQuery, ruleStatsQuery, ruleStatsSignal } from '../../src/contracts/rule-stats/messages';
import { RuleStatsState } from './rule-stats-state';

/** Continue as new past this many history events (each batch is about three: signal, task scheduled/started/completed). */
const MAX_HISTORY_EVENTS = 2_000;

export async function ruleStatsWorkflow(input: RuleStatsInput): Promise<void> {
  const state = new RuleStatsState(input.tenant, input.carried);
  // Handlers only change plain state (no activities), so continue-as-new always sees it whole.
  setHandler(ruleStatsSignal, (batch) => {
    for (const record of batch.records) state.apply(record);
  });
  setHandler(ruleStatsQuery, () => state.view());
  setHandler(alertLocationQuery, (alertId) => state.locate(alertId));
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= MAX_HISTORY_EVENTS);
  await condition(allHandlersFinished);
  await continueAsNew<typeof ruleStatsWorkflow>({ tenant: input.tenant, carried: state.toCarried() });
}
