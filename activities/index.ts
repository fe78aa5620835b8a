/**
 * The worker's activities: `createActivities(deps)` closes over the clients, config, logger and the
 * global dry-run switch. Every action returns a one-line summary for the playbook report; containment
 * actions also return the undo they declare. Workflows import this module with `import type` only.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Alert } from '../src/model/alert';
import type { PlaybookBinding } from '../src/model/playbook';
import type { ContainmentResult } from '../src/response/containment';
import { selectBindings, type ResponseConfig } from '../src/response/response-config';
import { readEntitySnapshot } from './entity-state';
import { notConfigured } from './http-call';
import { KubernetesActions, type KubernetesConfig } from './kubernetes';
import type { EntitySnapshot, PlaybookNotice } from './notice';
import { postSignedJson } from './webhook';

export interface ActivityDeps {
  logger: Logger;
  /** Global dry-run: no action changes anything or sends anything; summaries say what would have happened. */
  dryRun: boolean;
  /** rules/responses loaded at worker start (loadResponseConfig). */
  responses: ResponseConfig;
  /** Used to read correlator state for approval requests; without it notices carry the alert only. */
  client?: Client;
  /** Generic webhook for notices; signed when webhookSecret is set. */
  webhookUrl?: string;
  webhookSecret?: string;
  kubernetes?: KubernetesConfig;
}

export type { EntitySnapshot, PlaybookNotice } from './notice';

export function createActivities(deps: ActivityDeps) {
  const { logger } = deps;
  const kubernetes = (dryRun: boolean): KubernetesActions => {
    const effective = dryRun || deps.dryRun;
    if (!deps.kubernetes) {
      if (effective) return new KubernetesActions({ apiServerUrl: 'http://kubernetes.invalid', token: '' }, true);
      throw notConfigured('Kubernetes API server (VIGIL_K8S_API_URL)');
    }
    return new KubernetesActions(deps.kubernetes, effective);
  };

  return {
    /** Local activity for the correlator: the playbooks an alert starts (rules/responses bindings). */
    async resolvePlaybooks(alert: Alert): Promise<PlaybookBinding[]> {
      return selectBindings(deps.responses, alert.rule);
    },

    async readEntityState(correlatorWorkflowId: string): Promise<EntitySnapshot | undefined> {
      return readEntitySnapshot(deps.client, logger, correlatorWorkflowId);
    },

    async notifyWebhook(notice: PlaybookNotice): Promise<string> {
      if (deps.dryRun) return `[dry-run] webhook notice ${notice.kind}`;
      if (!deps.webhookUrl) throw notConfigured('generic webhook URL (VIGIL_WEBHOOK_URL)');
      const status = await postSignedJson(deps.webhookUrl, deps.webhookSecret, notice);
      logger.info({ workflowId: notice.workflowId, kind: notice.kind, status }, 'webhook notice sent');
      return `webhook notice ${notice.kind} (HTTP ${status})`;
    },

    async isolatePod(req: { namespace: string; pod: string }, dryRun: boolean): Promise<ContainmentResult> {
      return kubernetes(dryRun).isolatePod(req.namespace, req.pod);
    },
    async releasePod(req: { namespace: string; pod: string; policyName: string }, dryRun: boolean): Promise<string> {
      return kubernetes(dryRun).releasePod(req.namespace, req.pod, req.policyName);
    },
    async deletePod(req: { namespace: string; pod: string }, dryRun: boolean): Promise<ContainmentResult> {
      return kubernetes(dryRun).deletePod(req.namespace, req.pod);
    },
    async scaleDeploymentToZero(req: { namespace: string; deployment: string }, dryRun: boolean): Promise<ContainmentResult> {
      return kubernetes(dryRun).scaleDeploymentToZero(req.namespace, req.deployment);
    },
    async restoreDeploymentScale(req: { namespace: string; deployment: string; replicas: number }, dryRun: boolean): Promise<string> {
      return (await kubernetes(dryRun).scaleDeployment(req.namespace, req.deployment, req.replicas)).summary;
    },
    async cordonNode(req: { node: string }, dryRun: boolean): Promise<ContainmentResult> {
      return kubernetes(dryRun).cordonNode(req.node);
    },
    async uncordonNode(req: { node: string }, dryRun: boolean): Promise<string> {
      return (await kubernetes(dryRun).setNodeUnschedulable(req.node, false)).summary;
    },
  };
}

export type VigilActivities = ReturnType<typeof createActivities>;
