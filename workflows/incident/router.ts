/**
 * The tenant's incident router (`incidents:{tenant}`): the one place that decides which incident an alert joins
 * (grouping needs state shared by every entity's correlator). Correlators reach it through the routeAlertToIncident
 * activity, once per alert; each worker coalesces its concurrent calls into one update-with-start (routeAlerts) carrying
 * their alerts, so a burst stays under the server's in-flight update limit. It answers at once (the update handler only
 * decides) and sends the alerts on from its main loop, in order: it starts each incident as a child (abandoned, so
 * continue-as-new leaves it running), signals later alerts to it, and tells absorbed incidents to merge (router-state.ts
 * says when).
 *
 * It completes when no incident is left within the window (the next alert starts it again) and continues as new
 * before its history grows large, carrying its incidents and unsent deliveries.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { defaultUiBaseUrl } from '../../src/contracts/correlator/ui-link';
import { defaultIncidentSettings, type IncidentInput, type RouterDelivery, type RouterInput } from '../../src/contracts/incident/input';
import { incidentAlertsSignal, incidentClosedSignal, mergeIntoSignal, routeAlertsUpdate, routeAlertUpdate, routerStateQuery } from '../../src/contracts/incident/messages';
import type { Alert } from '../../src/model/alert';
import { parseDuration } from '../../src/model/duration';
import { IncidentSeverity, IncidentStatus, TenantId } from '../../src/temporal/search-attributes';
import { incidentWorkflow } from './incident';
import { incidentSummary } from './incident-card';
import { ROUTER_DELIVERY_BOUND_PATCH, RouterState } from './router-state';

export async function incidentRouterWorkflow(input: RouterInput): Promise<void> {
  const settings = { ...defaultIncidentSettings, ...input.settings };
  const uiBaseUrl = input.uiBaseUrl ?? defaultUiBaseUrl;
  // Checked in the run's first activation, before any await (a patch first met later can replay in another task split).
  const boundedDeliveries = patched(ROUTER_DELIVERY_BOUND_PATCH);
  const state = new RouterState(input.tenant, parseDuration(settings.window), uiBaseUrl, workflowInfo().namespace, input.carried, boundedDeliveries);

  const requireAlert = (alert: Alert | undefined, where: string): void => {
    if (alert?.tenant !== input.tenant || typeof alert.id !== 'string') throw ApplicationFailure.nonRetryable(`${where}: an alert of tenant ${input.tenant} with an id is required`, 'VGL_INCIDENT_INVALID');
  };
  // Single-alert routing: what workers before batching send; kept so their in-flight updates and histories still work.
  setHandler(routeAlertUpdate, ({ alert }) => state.route(alert, Date.now()), { validator: ({ alert }) => requireAlert(alert, 'routeAlert') });
  setHandler(
    routeAlertsUpdate,
    ({ alerts }) => {
      const now = Date.now();
      return alerts.map((alert) => state.route(alert, now));
    },
    {
      validator: (batch) => {
        const alerts: (Alert | undefined)[] | undefined = batch?.alerts;
        if (!Array.isArray(alerts) || alerts.length === 0) throw ApplicationFailure.nonRetryable('routeAlerts: alerts must be a non-empty list', 'VGL_INCIDENT_INVALID');
        alerts.forEach((alert, i) => requireAlert(alert, `routeAlerts: alerts[${i}]`));
      },
    },
  );
  setHandler(incidentClosedSignal, ({ incidentId }) => state.close(incidentId));
  setHandler(routerStateQuery, () => state.view());

  const deliver = async (delivery: RouterDelivery): Promise<void> => {
    if (delivery.kind === 'start') {
      const args: IncidentInput = { tenant: input.tenant, id: delivery.incident.id, settings, uiBaseUrl, alerts: delivery.alerts };
      try {
        await startChild(incidentWorkflow, {
          workflowId: delivery.incident.workflowId,
          args: [args],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          // User metadata of the command: shown in the UI's list and on the incident's page; replay does not compare it.
          staticSummary: incidentSummary(input.tenant, delivery.alerts[0]!),
          typedSearchAttributes: [
            { key: TenantId, value: input.tenant },
            { key: IncidentStatus, value: 'open' },
            { key: IncidentSeverity, value: delivery.alerts[0]!.rule.level },
          ],
        });
        return;
      } catch (err) {
        // Started by an earlier run of this router (continue-as-new after the start was sent): send the alerts instead.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
    const handle = getExternalWorkflowHandle(delivery.incident.workflowId);
    try {
      if (delivery.kind === 'merge') await handle.signal(mergeIntoSignal, { into: delivery.into });
      else await handle.signal(incidentAlertsSignal, delivery.alerts);
    } catch (err) {
      // The incident closed (resolved and past its linger) between routing and delivery: its alerts keep the reference.
      log.warn('incident closed before a delivery reached it', { incident: delivery.incident.id, kind: delivery.kind, err: (err as Error).message });
    }
  };

  for (;;) {
    if (state.outbox.length === 0) {
      const expiry = state.nextExpiry();
      if (expiry === undefined) {
        await condition(allHandlersFinished);
        if (state.outbox.length === 0 && state.nextExpiry() === undefined) return;
        continue;
      }
      await condition(() => state.outbox.length > 0, Math.max(1, expiry - Date.now()));
    }
    while (state.outbox.length > 0) {
      state.sending = true;
      await deliver(state.outbox[0]!);
      state.outbox.shift();
      state.sending = false;
    }
    state.expire(Date.now());
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= settings.maxHistoryEvents) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof incidentRouterWorkflow>({ ...input, settings, carried: state.carried() });
    }
  }
}
