/**
 * Sets an analyst verdict on a tenant's alert wherever it is asked (CLI, HTTP API): the alert's correlator is found
 * through the tenant's rule statistics, and the verdict goes through the correlator's validated `verdict` update (as
 * the chat button's does), which hands it on to the rule statistics. The caller checks the tenant is in its scope.
 */
import type { Client } from '@temporalio/client';
import { verdictUpdate, type VerdictInput } from '../contracts/correlator/messages';
import type { Alert } from '../model/alert';
import { locateAlert } from './rule-stats-read';

export async function setAlertVerdict(client: Client, tenant: string, input: VerdictInput): Promise<Alert> {
  const location = await locateAlert(client, tenant, input.alertId);
  return client.workflow.getHandle(location.correlatorWorkflowId).executeUpdate(verdictUpdate, { args: [input] });
}
