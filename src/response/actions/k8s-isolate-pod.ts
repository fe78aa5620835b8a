/**
 * `k8s.isolatePod`: label the pod and select it with a deny-all NetworkPolicy (no ingress or egress
 * rules with both policy types). Label first: the policy selects the label, so a pod is never
 * "isolated" by a policy that selects nothing. Creating the policy again answers 409 AlreadyExists,
 * which makes a retried or repeated isolation idempotent. Undo: delete the policy, drop the label
 * (merge-patch null, RFC 7386); either may already be gone (404).
 */
import { defineAction, dryRunPrefix } from './action';
import { podParams, resolvePod } from './targets';

/** The label that marks a quarantined pod; its value ties the pod to its deny-all NetworkPolicy. */
const quarantineLabel = 'vigil.dev/quarantine';

/** A label value (≤ 63 chars) unique to the pod, stable across retries and repeats: sha256 prefix. */
async function quarantineId(namespace: string, pod: string): Promise<string> {
  // Web Crypto (a Node global): action files import no Node module (see action.ts).
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${namespace}/${pod}`));
  return [...new Uint8Array(digest).subarray(0, 8)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** What the action holds and its undo releases. */
const key = ({ namespace, pod }: { namespace: string; pod: string }) => `k8s.pod:${namespace}/${pod}`;

export const isolatePod = defineAction({
  name: 'k8s.isolatePod',
  activity: 'isolatePod',
  params: podParams,
  resolve: resolvePod,
  target: key,
  async apply(ctx, { namespace, pod }) {
    const id = await quarantineId(namespace, pod);
    const policyName = `vigil-quarantine-${id}`;
    if (!ctx.dryRun) {
      const k8s = ctx.kubernetes();
      await k8s.call(`label pod ${namespace}/${pod}`, (api) => api.core.patchNamespacedPod({ namespace, name: pod, body: { metadata: { labels: { [quarantineLabel]: id } } } }, api.mergePatch));
      const body = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: policyName, labels: { 'app.kubernetes.io/managed-by': 'vigil' } },
        spec: { podSelector: { matchLabels: { [quarantineLabel]: id } }, policyTypes: ['Ingress', 'Egress'] },
      };
      await k8s.call(`create NetworkPolicy ${namespace}/${policyName}`, (api) => api.networking.createNamespacedNetworkPolicy({ namespace, body }), [409]);
    }
    return { summary: `${dryRunPrefix(ctx)}isolated pod ${namespace}/${pod} (label ${quarantineLabel}=${id}, NetworkPolicy ${policyName})`, undo: { namespace, pod, policyName } };
  },
  undo: {
    name: 'k8s.releasePod',
    activity: 'releasePod',
    target: key,
    async revert(ctx, { namespace, pod, policyName }) {
      if (!ctx.dryRun) {
        const k8s = ctx.kubernetes();
        await k8s.call(`delete NetworkPolicy ${namespace}/${policyName}`, (api) => api.networking.deleteNamespacedNetworkPolicy({ namespace, name: policyName }), [404]);
        // The pod may be gone by now.
        const body = { metadata: { labels: { [quarantineLabel]: null } } };
        await k8s.call(`unlabel pod ${namespace}/${pod}`, (api) => api.core.patchNamespacedPod({ namespace, name: pod, body }, api.mergePatch), [404]);
      }
      return `${dryRunPrefix(ctx)}released pod ${namespace}/${pod} (deleted NetworkPolicy ${policyName})`;
    },
  },
});
