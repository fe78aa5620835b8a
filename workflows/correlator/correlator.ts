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
  setCurrentDetails,
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
  alertQuery,
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
import { oneLine } from '../../src/model/markdown';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import { renderEntityCard, MAX_ROWS } from './entity-card';
import { EntityState, carriedOrEmpty } from './entity-state';
import { PLAYBOOK_PER_TARGET_PATCH, startPlaybookRun } from './playbook-start';
import { publishAll, publishChanges } from './publish';
import { BOUNDED_TASKS_PATCH, MAX_CARRIED_BACKLOG_BYTES, MAX_CORRELATION_WORK_PER_TASK, MAX_DETECTIONS_PER_TASK } from './task-budget';
import { WakeTimer } from './wake-timer';

/** The local activities, each call with its own summary (what the Temporal UI shows on the activity in history). */
const localActivities = (summary: string) =>
  proxyLocalActivities<CorrelatorActivities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 5 }, summary: oneLine(summary, 200) });

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

/**
 * `patched()` id of hunt results (`vigil hunt --to-temporal`, detections with `origin: 'hunt'`): they are recorded in
 * the timeline and may raise alerts, all marked with their hunt id, but start no playbook (so notify nobody: every
 * notification and containment is a playbook's), add only the risk left after decaying from their event time, and
 * stay out of correlation windows and the entity's rule set version (entity-state.ts applyDetections). A run begun
 * before this drops them as malformed (batch-check.ts) rather than treat months-old events as live ones.
 */
export const HUNT_RESULTS_PATCH = 'vigil-hunt-results';

/**
 * `patched()` id of rule statistics: alerts raised and verdicts set are handed to the tenant's rule statistics
 * workflow by the recordRuleStats local activity (one per pass that has any). Histories recorded before made no such
 * call and replay without it.
 */
export const RULE_STATS_PATCH = 'vigil-rule-stats';

/**
 * `patched()` id of one alert per finding: a detection naming several entities raises its alert only in the
 * correlator of the entity that owns it (src/model/finding-owner.ts); the others record the risk and link to it.
 * Runs begun before raise one in every entity a detection reaches, and replay that way until they continue as new.
 */
export const ONE_ALERT_PER_FINDING_PATCH = 'vigil-one-alert-per-finding';

export async function correlatorWorkflow(input: CorrelatorInput): Promise<void> {
  const settings: CorrelatorSettings = { ...defaultCorrelatorSettings, ...input.settings };
  const workflowId = workflowInfo().workflowId;
  // Decided once, in the run's first activation: a patch first checked later (the first alert) could be recorded in
  // one workflow task and met by replay in another (a task split by a slow local activity), which replay reports as
  // nondeterminism. Runs begun before the change keep one playbook run per alert until they continue as new.
  const playbookRunPerTarget = patched(PLAYBOOK_PER_TARGET_PATCH);
  const huntResults = patched(HUNT_RESULTS_PATCH);
  const oneAlertPerFinding = patched(ONE_ALERT_PER_FINDING_PATCH);
  const routesIncidents = patched(INCIDENTS_PATCH);
  const uiBaseUrl = input.uiBaseUrl ?? defaultUiBaseUrl;
  const linkTo = (id: string): string => correlatorLink(uiBaseUrl, workflowInfo().namespace, id);
  const state = new EntityState(
    input.tenant,
    input.entity,
    workflowId,
    settings,
    parseDuration(settings.suppressFor),
    parseDuration(settings.riskHalfLife),
    linkTo,
    carriedOrEmpty(input.carried, Date.now()),
    oneAlertPerFinding,
  );
  // The entity card (entity-card.ts) as the run's current details: held in worker memory, not in history, rebuilt by
  // replay like any other state. Rendered in the first activation (a run after continue-as-new shows its card before
  // the next batch) and then only in activations whose pass changed the state.
  const showCard = (): void =>
    setCurrentDetails(
      renderEntityCard({
        asOf: Date.now(),
        view: state.view(Date.now()),
        started: state.startedPlaybooks(),
        related: state.relatedEntities(MAX_ROWS),
        linkTo,
        correlatorOf: (entity) => correlatorWorkflowId(input.tenant, entity),
      }),
    );
  showCard();
  // Checked in the first activation too, for the same reason as the playbook patch above.
  const ruleStats = patched(RULE_STATS_PATCH);
  if (ruleStats) state.recordRuleStats();
  let dirty = input.carried === undefined;

  // A signal cannot be refused: what would fail every task that applies it is dropped here, counted and logged.
  setHandler(detectionBatchSignal, (signalled) => {
    const { batch, rejected } = checkDetectionBatch(signalled, input.tenant, { huntResults });
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
  setHandler(alertQuery, (alertId) => state.alert(alertId));
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
  const fetchRules = (why: string): Promise<CorrelationRulesView> =>
    localActivities(`correlation rules and playbook bindings for ${input.entity.type} ${input.entity.id} (${why})`).correlationRulesFor(input.entity);
  const rulesFor = async (version: string | undefined): Promise<CorrelationRulesView> => {
    if (!rules || (version !== undefined && version !== rules.version)) rules = await fetchRules(rules ? `rule set ${version} replaces ${rules.version}` : 'first use in this run');
    return rules;
  };
  const bindingsFor = async (alert: Alert): Promise<PlaybookBinding[]> => {
    if (!patched(CHEAP_TASKS_PATCH)) return localActivities(`resolve playbooks for ${alert.id}`).resolvePlaybooks(alert);
    // A view recorded before bindings travelled with it (a run older than the patch) has none: fetch a current one.
    if (rules?.bindings === undefined) rules = await fetchRules('bindings');
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
    const quietEnds = Date.now() + quietMs;
    const woke = patched(CHEAP_TASKS_PATCH)
      ? await timer.until(Math.min(quietEnds, fireAt ?? Infinity), wake, fireAt !== undefined && fireAt < quietEnds ? 'absence deadline' : `quiet period (${settings.quietPeriod})`)
      : await condition(wake, Math.max(1, Math.min(quietMs, (fireAt ?? Infinity) - Date.now())));
    const quiet = due === undefined && state.openAlerts().length === 0 && !state.suppressing(Date.now());
    if (!woke && quiet && Date.now() - state.lastActivity() >= quietMs) {
      await condition(allHandlersFinished);
      if (!state.hasPending()) return;
    }
    const now = Date.now();
    // Read before the pass awaits anything: a local activity's result may reach the workflow in a later workflow task
    // than the one it ran in (live) and in the one it ran in (replay), so history length read after such an await
    // differs between the two and a continue-as-new decided on it is nondeterministic. The pass start is always the
    // activation of a workflow task's own jobs (signals, timers, updates), the same in both.
    const info = workflowInfo();
    // Histories written before the task bounds took the whole queue in one task: they replay that way.
    const bounded = patched(BOUNDED_TASKS_PATCH);
    const queued = state.peekPending(bounded ? MAX_DETECTIONS_PER_TASK : Infinity);
    const alerts: Alert[] = [];
    if (queued.length > 0) {
      // A hunt's rule set is not the live one: only live detections say which view is current.
      const view = await rulesFor(lastLiveVersion(queued));
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
    // The hunt rule (HUNT_RESULTS_PATCH): a hunt's alert is shown, never acted on. A shadow rule's would-be alert is
    // recorded (state, statistics) and goes no further: no incident, no playbook, no notice.
    const acted = alerts.filter((alert) => alert.huntId === undefined && !alert.shadow);
    if (routesIncidents && acted.length > 0) await joinIncidents(acted, uiBaseUrl);
    for (const alert of acted) await startPlaybooks(state, alert, workflowId, await bindingsFor(alert), playbookRunPerTarget);
    if (ruleStats) await handOverStats(state, input.tenant);
    state.pruneSuppressions(now);
    if (patched(CHEAP_TASKS_PATCH)) publishChanges(state);
    else publishAll(state);
    if (dirty || queued.length > 0 || alerts.length > 0) showCard();
    dirty = false;

    if (info.continueAsNewSuggested || info.historyLength >= settings.maxHistoryEvents) {
      // The queue rides in the continue-as-new payload: past the bound, drain it first (history may grow past the
      // suggestion meanwhile; its hard limits are 50 MiB and 51,200 events).
      if (!bounded || state.pendingBytesAtMost(MAX_CARRIED_BACKLOG_BYTES)) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof correlatorWorkflow>({ ...input, settings, carried: state.toCarried() });
      }
    }
    // The rest of the queue goes to a new workflow task (a 1 ms timer), never on in this activation.
    if (bounded && state.hasPending()) await sleep(1, { summary: 'next slice of queued detections' });
  }
}

/** The rule set version of the last live detection (a hunt's rule set is not the live one), if any. */
function lastLiveVersion(queued: readonly Detection[]): string | undefined {
  for (let i = queued.length - 1; i >= 0; i--) if (queued[i]!.origin === undefined) return queued[i]!.rulesetVersion;
  return undefined;
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
 * Hands the queued alert and verdict records to the rule statistics workflow. A failure (Temporal unreachable through
 * every retry) keeps them queued for the next pass rather than failing the correlator: statistics are advisory.
 */
async function handOverStats(state: EntityState, tenant: string): Promise<void> {
  const records = [...state.statsOutbox()];
  if (records.length === 0) return;
  try {
    await localActivities(`rule statistics: ${records.length} alert and verdict records`).recordRuleStats(tenant, { records });
    state.dropStatsOutbox(records.length);
  } catch (err) {
    log.warn('rule statistics not recorded; kept for the next pass', { records: records.length, err: (err as Error).message });
  }
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

async function startPlaybooks(state: EntityState, alert: Alert, correlatorWorkflowId: string, bindings: readonly PlaybookBinding[], perTarget: boolean): Promise<void> {
  for (const binding of bindings) {
    const runId = await startPlaybookRun(alert, binding, correlatorWorkflowId, perTarget);
    state.recordStartedPlaybook({ workflowId: runId, playbook: binding.playbook, alertId: alert.id });
  }
}
