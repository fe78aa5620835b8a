/**
 * `k8s.scaleDeployment`: scale the deployment to zero through its scale subresource, remembering the
 * replica count. Undo: scale back to it. A deployment already at zero declares no undo: restoring "0"
 * would fight whoever scaled it down.
 */
import type { ActionContext } from './action';
import { defineAction, dryRunPrefix } from './action';
import { podNamespace, TargetValueSchema, valueOf } from './targets';

/** Sets the replicas and returns the previous count (0 in a dry run, which reads nothing). */
async function scale(ctx: ActionContext, namespace: string, deployment: string, replicas: number): Promise<{ summary: string; previous: number }> {
  let previous = 0;
  if (!ctx.dryRun) {
    const k8s = ctx.kubernetes();
    const current = await k8s.call(`read scale of deployment ${namespace}/${deployment}`, (api) => api.apps.readNamespacedDeploymentScale({ namespace, name: deployment }));
    previous = current?.spec?.replicas ?? 0;
    await k8s.call(`scale deployment ${namespace}/${deployment}`, (api) => api.apps.patchNamespacedDeploymentScale({ namespace, name: deployment, body: { spec: { replicas } } }, api.mergePatch));
  }
  return { summary: `${dryRunPrefix(ctx)}scaled deployment ${namespace}/${deployment} from ${previous} to ${replicas} replicas`, previous };
}

/** What the action holds and its undo releases. */
const key = ({ namespace, deployment }: { namespace: string; deployment: string }) => `k8s.deployment:${namespace}/${deployment}`;

export const scaleDeployment = defineAction({
  name: 'k8s.scaleDeployment',
  activity: 'scaleDeploymentToZero',
  params: { namespace: TargetValueSchema.optional(), deployment: TargetValueSchema },
  resolve(params, alert) {
    const deployment = valueOf(alert, params.deployment, () => undefined);
    const namespace = valueOf(alert, params.namespace, () => podNamespace(alert));
    if (!deployment) return 'deployment';
    if (!namespace) return 'namespace';
    return { namespace, deployment };
  },
  target: key,
  async apply(ctx, { namespace, deployment }) {
    const { summary, previous } = await scale(ctx, namespace, deployment, 0);
    return { summary, undo: previous > 0 ? { namespace, deployment, replicas: previous } : null };
  },
  undo: {
    name: 'k8s.restoreDeploymentScale',
    activity: 'restoreDeploymentScale',
    target: key,
    revert: async (ctx, { namespace, deployment, replicas }) => (await scale(ctx, namespace, deployment, replicas)).summary,
  },
});
