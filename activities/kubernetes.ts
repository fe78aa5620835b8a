/**
 * Kubernetes containment over the API server's REST interface (plain fetch, bearer token). Request
 * shapes follow the Kubernetes API reference: merge-patch (`application/merge-patch+json`) for labels,
 * the scale subresource and node cordoning; POST for NetworkPolicy (201, or 409 AlreadyExists, which
 * makes isolation idempotent); DELETE returning 200 (404 counts as already done).
 * Every action returns the undo it declares; in dry-run nothing is sent and the summary says so.
 */
import { createHash } from 'node:crypto';
import { httpCall } from './http-call';
import type { ContainmentResult, UndoStep } from '../src/response/containment';

export interface KubernetesConfig {
  /** e.g. https://10.0.0.1:6443 (no trailing slash). */
  apiServerUrl: string;
  token: string;
}

/** The label that marks a quarantined pod; its value ties the pod to its deny-all NetworkPolicy. */
export const quarantineLabel = 'vigil.dev/quarantine';

/** A label value (≤ 63 chars) unique to the pod, stable across retries and repeats. */
export function quarantineId(namespace: string, pod: string): string {
  return createHash('sha256').update(`${namespace}/${pod}`).digest('hex').slice(0, 16);
}

export class KubernetesActions {
  constructor(
    private readonly config: KubernetesConfig,
    private readonly dryRun: boolean,
  ) {}

  private call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, accept?: number[]) {
    const headers: Record<string, string> = { authorization: `Bearer ${this.config.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    return httpCall({ method, url: `${this.config.apiServerUrl}${path}`, headers, body: body === undefined ? undefined : JSON.stringify(body), accept });
  }

  private prefix(): string {
    return this.dryRun ? '[dry-run] ' : '';
  }

  async isolatePod(namespace: string, pod: string): Promise<ContainmentResult> {
    const id = quarantineId(namespace, pod);
    const policyName = `vigil-quarantine-${id}`;
    const undo: UndoStep = { action: 'k8s.releasePod', namespace, pod, policyName };
    if (!this.dryRun) {
      // Label first: the policy selects the label, so a pod is never "isolated" by a policy that selects nothing.
      await this.call('PATCH', `/api/v1/namespaces/${namespace}/pods/${pod}`, { metadata: { labels: { [quarantineLabel]: id } } });
      await this.call(
        'POST',
        `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`,
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: policyName, labels: { 'app.kubernetes.io/managed-by': 'vigil' } },
          // No ingress/egress rules with both policy types = deny all traffic to and from the selected pod.
          spec: { podSelector: { matchLabels: { [quarantineLabel]: id } }, policyTypes: ['Ingress', 'Egress'] },
        },
        [409],
      );
    }
    return { summary: `${this.prefix()}isolated pod ${namespace}/${pod} (label ${quarantineLabel}=${id}, NetworkPolicy ${policyName})`, undo, dryRun: this.dryRun };
  }

  async releasePod(namespace: string, pod: string, policyName: string): Promise<string> {
    if (!this.dryRun) {
      await this.call('DELETE', `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies/${policyName}`, undefined, [404]);
      // merge-patch with null removes the label (RFC 7386); the pod may be gone by now.
      await this.call('PATCH', `/api/v1/namespaces/${namespace}/pods/${pod}`, { metadata: { labels: { [quarantineLabel]: null } } }, [404]);
    }
    return `${this.prefix()}released pod ${namespace}/${pod} (deleted NetworkPolicy ${policyName})`;
  }

  async deletePod(namespace: string, pod: string): Promise<ContainmentResult> {
    if (!this.dryRun) await this.call('DELETE', `/api/v1/namespaces/${namespace}/pods/${pod}`, undefined, [404]);
    return { summary: `${this.prefix()}deleted pod ${namespace}/${pod}`, undo: null, dryRun: this.dryRun };
  }

  async scaleDeployment(namespace: string, deployment: string, replicas: number): Promise<{ summary: string; previous: number }> {
    const path = `/apis/apps/v1/namespaces/${namespace}/deployments/${deployment}/scale`;
    let previous = 0;
    if (!this.dryRun) {
      const scale = JSON.parse((await this.call('GET', path)).text) as { spec?: { replicas?: number } };
      previous = scale.spec?.replicas ?? 0;
      await this.call('PATCH', path, { spec: { replicas } });
    }
    return { summary: `${this.prefix()}scaled deployment ${namespace}/${deployment} from ${previous} to ${replicas} replicas`, previous };
  }

  async scaleDeploymentToZero(namespace: string, deployment: string): Promise<ContainmentResult> {
    const { summary, previous } = await this.scaleDeployment(namespace, deployment, 0);
    // Already at zero: nothing to restore, and restoring "0" would fight whoever scaled it down.
    const undo: UndoStep | null = previous > 0 ? { action: 'k8s.restoreDeploymentScale', namespace, deployment, replicas: previous } : null;
    return { summary, undo, dryRun: this.dryRun };
  }

  async setNodeUnschedulable(node: string, unschedulable: boolean): Promise<{ summary: string; changed: boolean }> {
    let changed = true;
    if (!this.dryRun) {
      const current = JSON.parse((await this.call('GET', `/api/v1/nodes/${node}`)).text) as { spec?: { unschedulable?: boolean } };
      changed = (current.spec?.unschedulable ?? false) !== unschedulable;
      if (changed) await this.call('PATCH', `/api/v1/nodes/${node}`, { spec: { unschedulable } });
    }
    const verb = unschedulable ? 'cordoned' : 'uncordoned';
    return { summary: `${this.prefix()}${changed ? verb : `left already ${verb}`} node ${node}`, changed };
  }

  async cordonNode(node: string): Promise<ContainmentResult> {
    const { summary, changed } = await this.setNodeUnschedulable(node, true);
    // A node an operator had already cordoned must stay cordoned when our TTL ends.
    return { summary, undo: changed ? { action: 'k8s.uncordonNode', node } : null, dryRun: this.dryRun };
  }
}
