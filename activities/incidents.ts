/**
 * Incident activities: the correlator's routing of a new alert to its tenant's incident router, and the `on: incident`
 * bindings an incident reads. Routing is update-with-start on `incidents:{tenant}` (started on first use, and again
 * after it completed idle), with the alert id as update id: a retried attempt is answered, not applied, twice.
 */
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { IncidentActivities, IncidentRoutingActivities } from '../src/contracts/incident/activities';
import type { IncidentSettings, RouterInput } from '../src/contracts/incident/input';
import { routeAlertUpdate } from '../src/contracts/incident/messages';
import type { ResponseBinding } from '../src/response/binding-match';
import { TenantId } from '../src/temporal/search-attributes';
import { incidentRouterWorkflowId, tenantTaskQueue } from '../src/temporal/workflow-ids';
import { notConfigured } from './http-call';

/** Below the correlator's 30 s start-to-close timeout for the activity. */
const ROUTE_DEADLINE_MS = 20_000;

export interface IncidentDeps {
  client?: Client;
  bindings: readonly ResponseBinding[];
  /** Grouping settings for routers this worker starts (VIGIL_INCIDENT_WINDOW). */
  incidents?: Partial<IncidentSettings>;
}

export function createIncidentActivities(deps: IncidentDeps): IncidentRoutingActivities & IncidentActivities {
  return {
    async routeAlertToIncident(alert, uiBaseUrl) {
      if (!deps.client) throw notConfigured('Temporal client for incident routing');
      const args: RouterInput = { tenant: alert.tenant, uiBaseUrl, ...(deps.incidents ? { settings: deps.incidents } : {}) };
      const startWorkflowOperation = new WithStartWorkflowOperation('incidentRouterWorkflow', {
        workflowId: incidentRouterWorkflowId(alert.tenant),
        taskQueue: tenantTaskQueue(alert.tenant),
        args: [args],
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: [{ key: TenantId, value: alert.tenant }],
      });
      const client = deps.client;
      // Bounded and cancellable: an update waits for the router's workflow task, which never comes while this worker
      // shuts down; the attempt then ends (and is retried by the correlator) instead of holding the shutdown.
      return client.withAbortSignal(Context.current().cancellationSignal, () =>
        client.withDeadline(Date.now() + ROUTE_DEADLINE_MS, () =>
          client.workflow.executeUpdateWithStart(routeAlertUpdate, { args: [{ alert }], updateId: `route-${alert.id}`, startWorkflowOperation }),
        ),
      );
    },

    async incidentBindings() {
      return deps.bindings.filter((b) => b.on === 'incident');
    },
  };
}
