/**
 * One incident (`incident:{tenant}:{id}`), started by its tenant's router with the alert that opened it and signalled
 * every later alert the router groups into it. It keeps the alerts, entities, merged timeline, ATT&CK tactics and
 * severity (incident-state.ts), starts the playbooks bound to incidents (`on: incident`, once each, when the incident
 * first matches), publishes status and severity as search attributes and its card as current details (incident-card.ts),
 * and takes analyst updates: acknowledge, resolve with a verdict (the CLI sends them as the authenticated operator).
 *
 * Lifetime: it runs while open or acknowledged (an open incident never disappears by itself); once resolved it tells
 * the router (no more alerts) and lingers one grouping window for alerts already on their way, then completes. Merged
 * into another incident, it hands everything over and completes at once. It continues as new before its history
 * grows large.
 *
 * Invariant: activities, children and external signals happen in the main loop only, never in handlers, so
 * continue-as-new always sees a consistent state.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { IncidentActivities } from '../../src/contracts/incident/activities';
import type { IncidentInput } from '../../src/contracts/incident/input';
import {
  acknowledgeIncidentUpdate,
  incidentAlertsSignal,
  incidentClosedSignal,
  incidentStateQuery,
  mergedIncidentSignal,
  type IncidentView,
  mergeIntoSignal,
  resolveIncidentUpdate,
} from '../../src/contracts/incident/messages';
import { correlatorLink, defaultUiBaseUrl } from '../../src/contracts/correlator/ui-link';
import { parseDuration } from '../../src/model/duration';
import { selectIncidentBindings, type ResponseBinding } from '../../src/response/binding-match';
import { AttackTechniques, IncidentSeverity, IncidentStatus, RuleNames } from '../../src/temporal/search-attributes';
import { correlatorWorkflowId, incidentRouterWorkflowId, playbookWorkflowId } from '../../src/temporal/workflow-ids';
import { startOnce } from '../correlator/playbook-start';
import { upsertChanged } from '../correlator/publish';
import { cardKey, renderIncidentCard } from './incident-card';
import { freshIncident, IncidentState } from './incident-state';

const { incidentBindings } = proxyLocalActivities<IncidentActivities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 5 } });

export async function incidentWorkflow(input: IncidentInput): Promise<void> {
  const now0 = Date.now();
  const state = new IncidentState(input.tenant, input.id, workflowInfo().workflowId, input.settings, input.carried ?? freshIncident(now0));
  if (input.carried === undefined) state.enqueue(input.alerts);
  const windowMs = parseDuration(input.settings.window);
  let dirty = true;
  let routerTold = input.carried?.status === 'resolved';
  // The incident card (incident-card.ts) as the run's current details: worker memory, not history. Rendered when
  // what it shows changed since the last render (the first publish of every run, replay included, renders it).
  const uiBaseUrl = input.uiBaseUrl ?? defaultUiBaseUrl;
  const linkTo = (workflowId: string): string => correlatorLink(uiBaseUrl, workflowInfo().namespace, workflowId);
  let shownCard: string | undefined;
  const publish = (): void => {
    const view = state.view();
    publishAttributes(state, view);
    const key = cardKey(view);
    if (key === shownCard) return;
    shownCard = key;
    setCurrentDetails(renderIncidentCard({ view, linkTo, correlatorOf: (entity) => correlatorWorkflowId(input.tenant, entity) }));
  };

  setHandler(incidentAlertsSignal, (alerts) => {
    state.enqueue(alerts);
  });
  setHandler(mergeIntoSignal, ({ into }) => {
    state.mergeInto(into, Date.now());
    dirty = true;
  });
  setHandler(mergedIncidentSignal, (merged) => {
    state.absorb(merged, Date.now());
    dirty = true;
  });
  setHandler(incidentStateQuery, () => state.view());
  setHandler(
    acknowledgeIncidentUpdate,
    (request) => {
      state.acknowledge(request, Date.now());
      dirty = true;
      log.info('incident acknowledged', { incident: input.id, by: request.by });
      return state.view();
    },
    { validator: (request) => state.validateAcknowledge(request) },
  );
  setHandler(
    resolveIncidentUpdate,
    (request) => {
      state.resolve(request, Date.now());
      dirty = true;
      log.info('incident resolved', { incident: input.id, verdict: request.verdict, by: request.by });
      return state.view();
    },
    { validator: (request) => state.validateResolve(request) },
  );

  // Fetched once per run, when the first alert is applied: plain data, recorded in history.
  let bindings: ResponseBinding[] | undefined;
  const startBoundPlaybooks = async (): Promise<void> => {
    const trigger = state.s.lastAlert;
    if (trigger === undefined || state.s.status === 'resolved') return;
    bindings ??= await incidentBindings();
    for (const binding of selectIncidentBindings(bindings, state.bindingSubject())) {
      const workflowId = playbookWorkflowId(input.id, binding.playbook);
      if (state.startedPlaybook(workflowId)) continue;
      // The newest alert stands for the incident (PlaybookInput takes an alert); its `incident` names this one.
      await startOnce(workflowId, { alert: trigger, binding, correlatorWorkflowId: trigger.correlatorWorkflowId }, 'REJECT_DUPLICATE', `incident ${input.id}`);
      state.notePlaybook(workflowId);
    }
  };

  for (;;) {
    const resolvedAt = state.resolvedAt();
    const lingerLeft = resolvedAt === undefined ? undefined : Math.max(1, resolvedAt + windowMs - Date.now());
    const wake = (): boolean => dirty || state.hasPending();
    const woke = lingerLeft === undefined ? (await condition(wake), true) : await condition(wake, lingerLeft);
    dirty = false;

    const into = state.mergedInto();
    if (into !== undefined) {
      // Alerts still queued go along with the rest (the survivor applies them and starts their playbooks).
      const pending = state.s.pending.splice(0);
      const survivor = getExternalWorkflowHandle(into.workflowId);
      await survivor.signal(mergedIncidentSignal, state.handover());
      if (pending.length > 0) await survivor.signal(incidentAlertsSignal, pending);
      publish();
      await condition(allHandlersFinished);
      return;
    }

    state.applyPending(Date.now());
    // Every pass, not only when alerts arrive: an absorbed incident can raise the severity a binding waits for.
    await startBoundPlaybooks();
    if (state.s.status === 'resolved' && !routerTold) {
      routerTold = true;
      try {
        await getExternalWorkflowHandle(incidentRouterWorkflowId(input.tenant)).signal(incidentClosedSignal, { incidentId: input.id });
      } catch (err) {
        // The router completed (nothing in its window): nothing routes here any more anyway.
        log.info('incident router not running when resolved', { err: (err as Error).message });
      }
    }
    publish();

    if (!woke && resolvedAt !== undefined && !state.hasPending()) {
      await condition(allHandlersFinished);
      if (!state.hasPending()) return;
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= input.settings.maxHistoryEvents) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof incidentWorkflow>({ ...input, alerts: [], carried: state.s });
    }
  }
}

function publishAttributes(state: IncidentState, view: IncidentView): void {
  upsertChanged(
    [
      { key: IncidentStatus, value: view.status },
      { key: IncidentSeverity, value: view.severity },
      { key: RuleNames, value: state.ruleNames() },
      { key: AttackTechniques, value: state.techniques() },
    ],
    {
      severity: view.severity,
      status: view.verdict ? `${view.status} (${view.verdict})` : view.status,
      tactics: view.tactics.join(' → '),
      entities: view.entities.slice(0, 20).map((e) => `${e.type}:${e.id}`),
      alerts: view.alertCount,
    },
  );
}
