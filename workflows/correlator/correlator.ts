/**
 * One long-lived correlator per tenant + entity (`entity:{tenant}:{type}:{id}`), started by the
 * ingest router's signal-with-start. A thin loop over EntityState: wait for detection batches,
 * apply them, raise alerts, start playbooks, publish state to search attributes and memo; continue
 * as new before history grows large; complete after a quiet period with no open alerts.
 *
 * Invariant: all state changes that need activities or children happen in this main loop, never in
 * a handler, so continue-as-new (main function only) always sees a consistent state.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  ParentClosePolicy,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  log,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Alert } from '../../src/model/alert';
import type { RuleLevel } from '../../src/model/detection';
import type { PlaybookBinding, PlaybookInput } from '../../src/model/playbook';
import { AlertId, AttackTechniques, OpenAlerts, PlaybookState, RiskScore, RuleId, RuleNames, TenantId } from '../../src/temporal/search-attributes';
import { playbookWorkflowId } from '../../src/temporal/workflow-ids';
import { parseDuration } from './duration';
import type { CorrelatorInput, CorrelatorSettings } from './correlator-input';
import { EntityState, emptyCarriedState } from './entity-state';
import { detectionBatchSignal, entityStateQuery, playbookReportSignal, timelineQuery, verdictUpdate } from './messages';

/** The activities the correlator calls; the worker's createActivities() provides them. */
export interface CorrelatorActivities {
  resolvePlaybooks(alert: Alert): Promise<PlaybookBinding[]>;
}

const { resolvePlaybooks } = proxyLocalActivities<CorrelatorActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 5 },
});

export const defaultCorrelatorSettings: CorrelatorSettings = {
  quietPeriod: '24h',
  maxTimeline: 200,
  suppressFor: '1h',
  riskHalfLife: '24h',
  maxHistoryEvents: 3000,
};

/** Detections at or above this level raise an alert on their own; lower ones add risk and feed correlations. */
const ALERT_LEVEL: RuleLevel = 'high';

export async function correlatorWorkflow(input: CorrelatorInput): Promise<void> {
  const settings: CorrelatorSettings = { ...defaultCorrelatorSettings, ...input.settings };
  const workflowId = workflowInfo().workflowId;
  const state = new EntityState(
    input.tenant,
    input.entity,
    workflowId,
    settings,
    parseDuration(settings.suppressFor),
    parseDuration(settings.riskHalfLife),
    input.carried ?? emptyCarriedState(Date.now()),
  );
  let dirty = input.carried === undefined;

  setHandler(detectionBatchSignal, (batch) => state.enqueue(batch));
  setHandler(playbookReportSignal, (report) => {
    state.recordPlaybook(report);
    dirty = true;
  });
  setHandler(entityStateQuery, () => state.view(Date.now()));
  setHandler(timelineQuery, () => state.timeline());
  setHandler(
    verdictUpdate,
    (verdict) => {
      const alert = state.applyVerdict(verdict);
      dirty = true;
      log.info('analyst verdict', { alertId: verdict.alertId, verdict: verdict.verdict, by: verdict.by });
      return alert;
    },
    { validator: (verdict) => state.validateVerdict(verdict) },
  );

  const quietMs = parseDuration(settings.quietPeriod);
  for (;;) {
    const woke = await condition(() => state.hasPending() || dirty, quietMs);
    if (!woke && state.openAlerts().length === 0 && Date.now() - state.lastActivity() >= quietMs) {
      await condition(allHandlersFinished);
      if (!state.hasPending()) return;
    }
    const alerts = state.applyDetections(state.takePending(), Date.now(), ALERT_LEVEL);
    for (const alert of alerts) await startPlaybooks(alert, workflowId);
    publish(state);
    dirty = false;

    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= settings.maxHistoryEvents) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof correlatorWorkflow>({ ...input, settings, carried: state.toCarried() });
    }
  }
}

async function startPlaybooks(alert: Alert, correlatorWorkflowId: string): Promise<void> {
  const bindings = await resolvePlaybooks(alert);
  for (const binding of bindings) {
    const playbookInput: PlaybookInput = { alert, binding, correlatorWorkflowId };
    try {
      await startChild('playbookWorkflow', {
        workflowId: playbookWorkflowId(alert.id, binding.playbook),
        args: [playbookInput],
        // Playbooks outlive this run: continue-as-new must not terminate a playbook awaiting approval.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: TenantId, value: alert.tenant },
          { key: AlertId, value: alert.id },
          { key: RuleId, value: alert.rule.id },
          { key: PlaybookState, value: 'started' },
        ],
      });
    } catch (err) {
      // Idempotence: the same alert never runs the same playbook twice (e.g. after a replayed batch).
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
}

function publish(state: EntityState): void {
  const now = Date.now();
  const view = state.view(now);
  upsertSearchAttributes([
    { key: RiskScore, value: view.riskScore },
    { key: OpenAlerts, value: view.openAlerts.length },
    { key: RuleNames, value: state.ruleNames() },
    { key: AttackTechniques, value: state.attackTechniques() },
  ]);
  upsertMemo({
    entity: `${view.entity.type}:${view.entity.id}`,
    riskScore: view.riskScore,
    openAlerts: view.openAlerts.map((a) => `${a.rule.level} ${a.rule.title}`).slice(-10),
    rulesetVersion: view.rulesetVersion,
  });
}
