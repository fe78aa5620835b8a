/**
 * `k8s.deletePod`: delete the pod (its controller, if any, starts a clean replacement). Cannot be
 * undone, so it holds nothing and a run without TTL ends right after it. 404 counts as done.
 */
import { defineAction, dryRunPrefix } from './action';
import { podParams, resolvePod } from './targets';

export const deletePod = defineAction({
  name: 'k8s.deletePod',
  activity: 'deletePod',
  params: podParams,
  resolve: resolvePod,
  target: () => undefined,
  async apply(ctx, { namespace, pod }) {
    if (!ctx.dryRun) await ctx.kubernetes().call(`delete pod ${namespace}/${pod}`, (api) => api.core.deleteNamespacedPod({ namespace, name: pod }), [404]);
    return { summary: `${dryRunPrefix(ctx)}deleted pod ${namespace}/${pod}`, undo: null };
  },
  undo: { irreversible: 'a deleted pod cannot be brought back (its controller may start a new one)' },
});
