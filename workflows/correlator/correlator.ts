/**
 * One long-lived correlator per tenant + entity (`entity:{tenant}:{type}:{id}`), started by the
 * ingest router's signal-with-start. A thin loop over EntityState: wait for detection batches,
 * apply them, raise alerts, start playbooks, publish state to search attributes and memo; continue
 * as new before history grows large; complete after a quiet period with no open alerts, no pending
 * absence and no analyst suppression in force (completing would forget it).
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
import type { CorrelationRulesView } from '../../activities/correlation-rules';
import { raisesOwnAlert } from '../../src/correlation/alert-policy';
import { advanceTo, correlate, nextDeadline } from '../../src/correlation/correlate';
import type { CorrelateOptions } from '../../src/correlation/options';
import type { Alert } from '../../src/model/alert';
import type { EntityRef } from '../../src/model/entity';
import type { RuleLevel } from '../../src/model/detection';
import type { PlaybookBinding, PlaybookInput } from '../../src/model/playbook';
import { AlertId, AttackTechniques, EventCount, OpenAlerts, PlaybookState, RiskScore, RuleId, RuleNames, TenantId } from '../../src/temporal/search-attributes';
import { playbookWorkflowId } from '../../src/temporal/workflow-ids';
import { parseDuration } from './duration';
import type { CorrelatorInput, CorrelatorSettings } from './correlator-input';
import { EntityState, carriedOrEmpty } from './entity-state';
import {
  detectionBatchSignal,
  entityStateQuery,
  playbookReportSignal,
  resetUpdate,
  suppressUpdate,
  timelineQuery,
  verdictUpdate,
} from './messages';
import { correlatorLink, defaultUiBaseUrl } from './ui-link';

/** The activities the correlator calls; the worker's createActivities() provides them. */
export interface CorrelatorActivities {
  resolvePlaybooks(alert: Alert): Promise<PlaybookBinding[]>;
  correlationRulesFor(entity: EntityRef): Promise<CorrelationRulesView>;
}

const { resolvePlaybooks, correlationRulesFor } = proxyLocalActivities<CorrelatorActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 5 },
});

export const defaultCorrelatorSettings: CorrelatorSettings = {
  quietPeriod: '24h',
  maxTimeline: 200,
  suppressFor: '1h',
  riskHalfLife: '24h',
  maxHistoryEvents: 3000,
  allowedLateness: '2m',
};

/**
 * The correlation core's options in a correlator. EntityState de-duplicates (event, rule) pairs before the
 * core sees them, so the core's own memory of pairs is a second line and kept small: it is carried through
 * continue-as-new.
 */
export function correlateOptionsFor(settings: CorrelatorSettings): CorrelateOptions {
  return { allowedLatenessMs: parseDuration(settings.allowedLateness), maxSeenKeys: 1_000 };
}

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
    correlatorLink(input.uiBaseUrl ?? defaultUiBaseUrl, workflowInfo().namespace, workflowId),
    carriedOrEmpty(input.carried, Date.now()),
  );
  let dirty = input.carried === undefined;

  setHandler(detectionBatchSignal, (batch) => state.enqueue(batch));
  setHandler(playbookReportSignal, (report) => {
    state.recordPlaybook(report);
    dirty = true;
  });
  setHandler(entityStateQuery, () => state.view(Date.now()));
  setHandler(timelineQuery, () => state.timeline());
  // Analyst updates change state only (no activities), so they may run in handlers; `dirty` makes the main
  // loop publish the change (search attributes, memo) at once.
  setHandler(
    verdictUpdate,
    (verdict) => {
      const alert = state.applyVerdict(verdict, Date.now());
      dirty = true;
      log.info('analyst verdict', { alertId: verdict.alertId, verdict: verdict.verdict, by: verdict.by });
      return alert;
    },
    { validator: (verdict) => state.validateVerdict(verdict) },
  );
  setHandler(
    suppressUpdate,
    (request) => {
      const suppression = state.applySuppress(request, Date.now());
      dirty = true;
      log.info('rule suppressed', { ruleId: suppression.ruleId, until: suppression.until, by: request.by });
      return suppression;
    },
    { validator: (request) => state.validateSuppress(request) },
  );
  setHandler(
    resetUpdate,
    (request) => {
      const result = state.applyReset(request, Date.now());
      dirty = true;
      log.info('entity reset', { closedAlerts: result.closedAlertIds.length, by: request.by });
      return result;
    },
    { validator: (request) => state.validateReset(request) },
  );

  const quietMs = parseDuration(settings.quietPeriod);
  const correlateOptions = correlateOptionsFor(settings);
  // Fetched lazily (and again after continue-as-new or a rule reload): plain data, recorded in history.
  let rules: CorrelationRulesView | undefined;
  const rulesFor = async (version: string | undefined): Promise<CorrelationRulesView> => {
    if (!rules || (version !== undefined && version !== rules.version)) rules = await correlationRulesFor(input.entity);
    return rules;
  };

  for (;;) {
    // An absence ("A not followed by B") fires once its deadline has passed in event time; when the entity
    // goes quiet event time stops, so a durable timer stands in for it, no earlier than the allowed lateness
    // after the last arrival (a late B may still be on its way).
    const due = nextDeadline(state.correlation(), correlateOptions);
    const fireAt = due === undefined ? undefined : Math.max(due, state.lastActivity() + correlateOptions.allowedLatenessMs);
    const woke = await condition(() => state.hasPending() || dirty, Math.max(1, Math.min(quietMs, (fireAt ?? Infinity) - Date.now())));
    const quiet = due === undefined && state.openAlerts().length === 0 && !state.suppressing(Date.now());
    if (!woke && quiet && Date.now() - state.lastActivity() >= quietMs) {
      await condition(allHandlersFinished);
      if (!state.hasPending()) return;
    }
    const now = Date.now();
    const detections = state.takePending();
    const alerts: Alert[] = [];
    if (detections.length > 0) {
      const view = await rulesFor(detections[detections.length - 1]!.rulesetVersion);
      for (const rule of view.rules) state.noteRule(rule);
      const applied = state.applyDetections(detections, now, ALERT_LEVEL, new Set(view.silenced));
      alerts.push(...applied.alerts);
      if (view.rules.length > 0 && applied.fresh.length > 0) {
        const result = correlate(state.correlation(), applied.fresh, view.rules, correlateOptions);
        if (result.late.length > 0) {
          state.countLate(result.late.length);
          log.warn('late detections not counted in correlation windows', { late: result.late.length, watermark: result.late[0]!.watermark });
        }
        alerts.push(...state.applyHits(result.hits, now, (hit) => raisesOwnAlert(hit.rule, view.rules)));
      }
    } else if (due !== undefined && fireAt !== undefined && now >= fireAt) {
      const view = await rulesFor(undefined);
      const result = advanceTo(state.correlation(), due - correlateOptions.allowedLatenessMs, view.rules, correlateOptions);
      alerts.push(...state.applyHits(result.hits, now, (hit) => raisesOwnAlert(hit.rule, view.rules)));
    }
    for (const alert of alerts) await startPlaybooks(alert, workflowId);
    state.pruneSuppressions(now);
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
    { key: EventCount, value: view.eventCount },
    { key: RuleNames, value: state.ruleNames() },
    { key: AttackTechniques, value: state.attackTechniques() },
  ]);
  upsertMemo({
    entity: `${view.entity.type}:${view.entity.id}`,
    riskScore: view.riskScore,
    openAlerts: view.openAlerts.map((a) => `${a.rule.level} ${a.rule.title}`).slice(-10),
    rulesetVersion: view.rulesetVersion,
    // Who changed this entity by hand, readable in the UI without a query.
    analystActions: state.analystActions().slice(-5).map((a) => `${new Date(a.at).toISOString()} ${a.kind} by ${a.by}: ${a.summary}`.slice(0, 200)),
  });
}
