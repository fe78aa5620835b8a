/**
 * Incident activities: the correlator's routing of a new alert to its tenant's incident router, and the `on: incident`
 * bindings an incident reads. Routing is update-with-start on `incidents:{tenant}` (started on first use, and again
 * after it completed idle). Each call hands its alert to this worker's batcher for the router (namespace, tenant): the
 * alerts of calls arriving while one update is in flight go together in the next (routeAlerts, one update per batch),
 * so a burst never reaches the server's limit of in-flight updates per workflow (`history.maxInFlightUpdates`, 10 on
 * the dev server), and each call answers with its own alert's incident. A failed batch fails each of its calls (the
 * correlator retries the activity). The update id is a hash of the batch's sorted alert ids, so a batch sent again is
 * answered, not applied, twice; a retried alert in a different batch is answered from the router's memory of it
 * (RouterState.route is idempotent per alert id).
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { IncidentActivities, IncidentRoutingActivities } from '../src/contracts/incident/activities';
import type { IncidentSettings, RouterInput } from '../src/contracts/incident/input';
import { routeAlertsUpdate } from '../src/contracts/incident/messages';
import type { Alert } from '../src/model/alert';
import type { IncidentRef } from '../src/model/incident';
import type { ResponseBinding } from '../src/response/binding-match';
import { payloadSizeBound } from '../src/temporal/payload-size';
import { TenantId } from '../src/temporal/search-attributes';
import { incidentRouterWorkflowId, tenantTaskQueue } from '../src/temporal/workflow-ids';
import { notConfigured } from './http-call';
import { RequestBatcher, type Batch } from './request-batcher';

/** Below the correlator's 30 s start-to-close timeout for the activity: a call's wait, queued and in flight. */
const ROUTE_DEADLINE_MS = 20_000;
/**
 * One update's alerts: few enough for the router's workflow task to decide them quickly, and a payload well under
 * Temporal's 2 MiB limit (an alert is a few KiB; a larger one goes alone).
 */
const ROUTE_BATCH_LIMITS = { maxItems: 100, maxBytes: 512 * 1024 };

export interface IncidentDeps {
  client?: Client;
  bindings: readonly ResponseBinding[];
  /** Grouping settings for routers this worker starts (VIGIL_INCIDENT_WINDOW). */
  incidents?: Partial<IncidentSettings>;
}

/** The update id of a batch: the same alerts (in any order) give the same id, so the server answers a resend. */
export function routeBatchUpdateId(alerts: readonly Pick<Alert, 'id'>[]): string {
  const hash = createHash('sha256');
  for (const id of alerts.map((a) => a.id).sort()) hash.update(id).update('\0');
  return `routes-${hash.digest('hex').slice(0, 32)}`;
}

/** One call's request: its alert, and the UI address a router it starts gets (every caller of a tenant sends the same). */
interface RouteRequest {
  alert: Alert;
  uiBaseUrl: string;
}

export function createIncidentActivities(deps: IncidentDeps): IncidentRoutingActivities & IncidentActivities {
  const client = deps.client;
  const sendBatch = (routing: Client, { items, deadline, signal }: Batch<RouteRequest>): Promise<IncidentRef[]> => {
    const { alert, uiBaseUrl } = items[0]!;
    const args: RouterInput = { tenant: alert.tenant, uiBaseUrl, ...(deps.incidents ? { settings: deps.incidents } : {}) };
    const startWorkflowOperation = new WithStartWorkflowOperation('incidentRouterWorkflow', {
      workflowId: incidentRouterWorkflowId(alert.tenant),
      taskQueue: tenantTaskQueue(alert.tenant),
      args: [args],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: TenantId, value: alert.tenant }],
    });
    const alerts = items.map((r) => r.alert);
    // Bounded and cancellable: an update waits for the router's workflow task, which never comes while this worker
    // shuts down; the batch then ends (its calls are retried by their correlators) instead of holding the shutdown.
    return routing.withAbortSignal(signal, () =>
      routing.withDeadline(deadline, () => routing.workflow.executeUpdateWithStart(routeAlertsUpdate, { args: [{ alerts }], updateId: routeBatchUpdateId(alerts), startWorkflowOperation })),
    );
  };
  const batcher = client && new RequestBatcher<RouteRequest, IncidentRef>(ROUTE_BATCH_LIMITS, (r) => payloadSizeBound(r.alert), (batch) => sendBatch(client, batch));

  return {
    async routeAlertToIncident(alert, uiBaseUrl) {
      if (!client || !batcher) throw notConfigured('Temporal client for incident routing');
      // One batcher key per router this worker reaches: at most one update in flight to it from this process.
      const router = `${client.options.namespace}\0${alert.tenant}`;
      return batcher.submit(router, { alert, uiBaseUrl }, Date.now() + ROUTE_DEADLINE_MS, Context.current().cancellationSignal);
    },

    async incidentBindings() {
      return deps.bindings.filter((b) => b.on === 'incident');
    },
  };
}
