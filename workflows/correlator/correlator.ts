/**
 * One long-lived correlator per tenant + entity (`entity:{tenant}:{type}:{id}`), started by the
 * ingest router's signal-with-start. A thin loop over EntityState: wait for detection batches,
 * apply them, raise alerts, start playbooks, publish state to search attributes and memo; continue
 * as new before history grows large; complete after a quiet period with no open alerts, no pending
 * absence and no analyst suppression in force (completing would forget it).
 *
 * A burst is applied a bounded slice per workflow task, the rest waiting in the queue (task-budget.ts says why and
 * how much): one noisy entity slows its own correlator and never stalls or crashes the worker.
 *
 * Invariant: all state changes that need activities or children happen in this main loop, never in
 * a handler, so continue-as-new (main function only) always sees a consistent state.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
  log,
} from '@temporalio/workflow';
import type { CorrelatorActivities } from '../../src/contracts/correlator/activities';
import { checkDetectionBatch } from '../../src/contracts/correlator/batch-check';
import type { IncidentRoutingActivities } from '../../src/contracts/incident/activities';
import type { CorrelatorInput, CorrelatorSettings } from '../../src/contracts/correlator/input';
import {
  detectionBatchSignal,
  entityStateQuery,
  playbookReportSignal,
  resetUpdate,
  suppressUpdate,
  timelineQuery,
  verdictUpdate,
} from '../../src/contracts/correlator/messages';
import type { CorrelationRulesView } from '../../src/contracts/correlator/rules-view';
import { correlatorLink, defaultUiBaseUrl } from '../../src/contracts/correlator/ui-link';
import { raisesOwnAlert } from '../../src/correlation/alert-policy';
import { advanceTo, correlate, nextDeadline } from '../../src/correlation/correlate';
import type { CorrelationHit, LateEvent } from '../../src/correlation/hit';
import type { CorrelateOptions } from '../../src/correlation/options';
import type { Alert } from '../../src/model/alert';
import type { ErrorCode } from '../../src/error-codes';
import type { Detection, RuleLevel } from '../../src/model/detection';
import { parseDuration } from '../../src/model/duration';
import type { PlaybookBinding } from '../../src/model/playbook';
import { selectBindings } from '../../src/response/binding-match';
import { EntityState, carriedOrEmpty } from './entity-state';
import { PLAYBOOK_PER_TARGET_PATCH, startPlaybookRun } from './playbook-start';
import { publishAll, publishChanges } from './publish';
import { BOUNDED_TASKS_PATCH, MAX_CARRIED_BACKLOG_BYTES, MAX_CORRELATION_WORK_PER_TASK, MAX_DETECTIONS_PER_TASK } from './task-budget';
import { WakeTimer } from './wake-timer';

const { resolvePlaybooks, correlationRulesFor } = proxyLocalActivities<CorrelatorActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 5 },
});

/**
 * A regular activity (not local): its update-with-start waits for the router's workflow task, and a local activity
 * would hold this correlator's workflow task slot meanwhile. Once per alert, never per detection. A router that stays
 * unreachable costs the alert its incident, never its playbooks (see joinIncidents).
 */
const { routeAlertToIncident } = proxyActivities<IncidentRoutingActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
});

/**
 * `patched()` id of incidents: each new alert is routed to its tenant's incident router (workflows/incident) and
 * carries its incident before its playbooks start. Histories recorded before have no routing activity.
 */
export const INCIDENTS_PATCH = 'vigil-incidents';

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

/**
 * `patched()` id of cheap workflow tasks: an alert's playbooks are picked in the workflow from the bindings in the
 * rules view (no resolvePlaybooks local activity per alert), search attributes and memo are written only when they
 * change (publish.ts), and one long-lived timer replaces the timer that every wait started and cancelled
 * (wake-timer.ts). Histories recorded before took the old path, and replay it (test/workflows/replay-compat.test.ts).
 */
export const CHEAP_TASKS_PATCH = 'vigil-cheap-correlator-tasks';

export async function correlatorWorkflow(input: CorrelatorInput): Promise<void> {
  const settings: CorrelatorSettings = { ...defaultCorrelatorSettings, ...input.settings };
  const workflowId = workflowInfo().workflowId;
  // Decided once, in the run's first activation: a patch first checked later (the first alert) could be recorded in
  // one workflow task and met by replay in another (a task split by a slow local activity), which replay reports as
  // nondeterminism. Runs begun before the change keep one playbook run per alert until they continue as new.
  const playbookRunPerTarget = patched(PLAYBOOK_PER_TARGET_PATCH);
  const routesIncidents = patched(INCIDENTS_PATCH);
  const uiBaseUrl = input.uiBaseUrl ?? defaultUiBaseUrl;
  const state = new EntityState(
    input.tenant,
    input.entity,
    workflowId,
    settings,
    parseDuration(settings.suppressFor),
    parseDuration(settings.riskHalfLife),
    correlatorLink(uiBaseUrl, workflowInfo().namespace, workflowId),
    carriedOrEmpty(input.carried, Date.now()),
  );
  let dirty = input.carried === undefined;

  // A signal cannot be refused: what would fail every task that applies it is dropped here, counted and logged.
  setHandler(detectionBatchSignal, (signalled) => {
    const { batch, rejected } = checkDetectionBatch(signalled, input.tenant);
    if (rejected.length > 0) {
      const code: ErrorCode = 'VGL_CORRELATOR_DETECTION_REJECTED';
      state.countRejected(rejected.length);
      dirty = true;
      log.warn(`${code}: signalled detections dropped`, { code, batchId: batch?.batchId, dropped: rejected.length, first: rejected.slice(0, 3) });
    }
    if (batch) state.enqueue(batch);
  });
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
  const bindingsFor = async (alert: Alert): Promise<PlaybookBinding[]> => {
    if (!patched(CHEAP_TASKS_PATCH)) return resolvePlaybooks(alert);
    // A view recorded before bindings travelled with it (a run older than the patch) has none: fetch a current one.
    if (rules?.bindings === undefined) rules = await correlationRulesFor(input.entity);
    return selectBindings(rules.bindings ?? [], alert);
  };
  const timer = new WakeTimer();

  for (;;) {
    // An absence ("A not followed by B") fires once its deadline has passed in event time; when the entity
    // goes quiet event time stops, so a durable timer stands in for it, no earlier than the allowed lateness
    // after the last arrival (a late B may still be on its way).
    const due = nextDeadline(state.correlation(), correlateOptions);
    const fireAt = due === undefined ? undefined : Math.max(due, state.lastActivity() + correlateOptions.allowedLatenessMs);
    // `woke`: something arrived before the quiet period (from now) or the absence deadline ran out.
    const wake = (): boolean => state.hasPending() || dirty;
    const woke = patched(CHEAP_TASKS_PATCH)
      ? await timer.until(Math.min(Date.now() + quietMs, fireAt ?? Infinity), wake)
      : await condition(wake, Math.max(1, Math.min(quietMs, (fireAt ?? Infinity) - Date.now())));
    const quiet = due === undefined && state.openAlerts().length === 0 && !state.suppressing(Date.now());
    if (!woke && quiet && Date.now() - state.lastActivity() >= quietMs) {
      await condition(allHandlersFinished);
      if (!state.hasPending()) return;
    }
    const now = Date.now();
    // Histories written before the task bounds took the whole queue in one task: they replay that way.
    const bounded = patched(BOUNDED_TASKS_PATCH);
    const queued = state.peekPending(bounded ? MAX_DETECTIONS_PER_TASK : Infinity);
    const alerts: Alert[] = [];
    if (queued.length > 0) {
      const view = await rulesFor(queued[queued.length - 1]!.rulesetVersion);
      for (const rule of view.rules) state.noteRule(rule);
      const applied = applyQueued(state, queued, view, now, correlateOptions, bounded ? MAX_CORRELATION_WORK_PER_TASK : Infinity);
      state.consumePending(applied.taken);
      for (const alert of applied.alerts) alerts.push(alert);
    } else {
      state.consumePending(0); // batches with no detections
      if (due !== undefined && fireAt !== undefined && now >= fireAt) {
        const view = await rulesFor(undefined);
        const result = advanceTo(state.correlation(), due - correlateOptions.allowedLatenessMs, view.rules, correlateOptions);
        for (const alert of state.applyHits(result.hits, now, (hit) => raisesOwnAlert(hit.rule, view.rules))) alerts.push(alert);
      }
    }
    if (routesIncidents && alerts.length > 0) await joinIncidents(alerts, uiBaseUrl);
    for (const alert of alerts) await startPlaybooks(alert, workflowId, await bindingsFor(alert), playbookRunPerTarget);
    state.pruneSuppressions(now);
    if (patched(CHEAP_TASKS_PATCH)) publishChanges(state);
    else publishAll(state);
    dirty = false;

    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= settings.maxHistoryEvents) {
      // The queue rides in the continue-as-new payload: past the bound, drain it first (history may grow past the
      // suggestion meanwhile; its hard limits are 50 MiB and 51,200 events).
      if (!bounded || state.pendingBytesAtMost(MAX_CARRIED_BACKLOG_BYTES)) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof correlatorWorkflow>({ ...input, settings, carried: state.toCarried() });
      }
    }
    // The rest of the queue goes to a new workflow task (a 1 ms timer), never on in this activation.
    if (bounded && state.hasPending()) await sleep(1);
  }
}

/**
 * Applies queued detections in order until the correlation work spent reaches `maxWork` (at least one is always
 * applied) and returns how many were taken and the alerts they raised: detection alerts first, then correlation
 * alerts, as when the whole batch is applied at once. One at a time gives the same state, hits and alerts as the
 * whole batch: EntityState and the correlation core treat each detection on its own (correlate.ts).
 */
function applyQueued(
  state: EntityState,
  queued: readonly Detection[],
  view: CorrelationRulesView,
  now: number,
  options: CorrelateOptions,
  maxWork: number,
): { taken: number; alerts: Alert[] } {
  const silenced = new Set(view.silenced);
  const alerts: Alert[] = [];
  const hits: CorrelationHit[] = [];
  let late: LateEvent | undefined;
  let lateCount = 0;
  let work = 0;
  let taken = 0;
  while (taken < queued.length && (taken === 0 || work < maxWork)) {
    const applied = state.applyDetections([queued[taken]!], now, ALERT_LEVEL, silenced);
    taken++;
    for (const alert of applied.alerts) alerts.push(alert);
    if (view.rules.length === 0 || applied.fresh.length === 0) continue;
    const result = correlate(state.correlation(), applied.fresh, view.rules, options);
    work += result.work;
    for (const hit of result.hits) hits.push(hit);
    late ??= result.late[0];
    lateCount += result.late.length;
  }
  if (late) {
    state.countLate(lateCount);
    log.warn('late detections not counted in correlation windows', { late: lateCount, watermark: late.watermark });
  }
  for (const alert of state.applyHits(hits, now, (hit) => raisesOwnAlert(hit.rule, view.rules))) alerts.push(alert);
  return { taken, alerts };
}

/**
 * Routes new alerts to their incidents (concurrently) and records the incident on each (the alert objects are the
 * ones the state keeps), so playbooks and notices carry the incident's link. A failure is logged and leaves the alert
 * without an incident.
 */
async function joinIncidents(alerts: readonly Alert[], uiBaseUrl: string): Promise<void> {
  await Promise.all(
    alerts.map(async (alert) => {
      try {
        alert.incident = await routeAlertToIncident(alert, uiBaseUrl);
      } catch (err) {
        const code: ErrorCode = 'VGL_INCIDENT_ROUTING';
        log.warn(`${code}: alert not routed to an incident`, { code, alertId: alert.id, err: (err as Error).message });
      }
    }),
  );
}

async function startPlaybooks(alert: Alert, correlatorWorkflowId: string, bindings: readonly PlaybookBinding[], perTarget: boolean): Promise<void> {
  for (const binding of bindings) await startPlaybookRun(alert, binding, correlatorWorkflowId, perTarget);
}
