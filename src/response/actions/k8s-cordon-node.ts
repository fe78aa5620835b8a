/**
 * `k8s.cordonNode`: mark the node unschedulable (merge-patch `spec.unschedulable`), as `kubectl cordon`
 * does. A node an operator had already cordoned declares no undo, so it stays cordoned when the TTL ends.
 */
import type { ActionContext } from './action';
import { defineAction, dryRunPrefix } from './action';
import { namedEntity } from '../../model/finding-owner';
import { TargetValueSchema, valueOf } from './targets';

/** Sets `spec.unschedulable` unless it already has that value (a dry run reads nothing and says "changed"). */
async function setUnschedulable(ctx: ActionContext, node: string, unschedulable: boolean): Promise<{ summary: string; changed: boolean }> {
  let changed = true;
  if (!ctx.dryRun) {
    const k8s = ctx.kubernetes();
    const current = await k8s.call(`read node ${node}`, (api) => api.core.readNode({ name: node }));
    changed = (current?.spec?.unschedulable ?? false) !== unschedulable;
    if (changed) await k8s.call(`${unschedulable ? 'cordon' : 'uncordon'} node ${node}`, (api) => api.core.patchNode({ name: node, body: { spec: { unschedulable } } }, api.mergePatch));
  }
  const verb = unschedulable ? 'cordoned' : 'uncordoned';
  return { summary: `${dryRunPrefix(ctx)}${changed ? verb : `left already ${verb}`} node ${node}`, changed };
}

/** What the action holds and its undo releases. */
const key = ({ node }: { node: string }) => `k8s.node:${node}`;

export const cordonNode = defineAction({
  name: 'k8s.cordonNode',
  activity: 'cordonNode',
  params: { node: TargetValueSchema.optional() },
  resolve(params, alert) {
    const node = valueOf(alert, params.node, () => namedEntity(alert, 'host')?.id);
    return node ? { node } : 'node';
  },
  target: key,
  async apply(ctx, { node }) {
    const { summary, changed } = await setUnschedulable(ctx, node, true);
    return { summary, undo: changed ? { node } : null };
  },
  undo: {
    name: 'k8s.uncordonNode',
    activity: 'uncordonNode',
    target: key,
    revert: async (ctx, { node }) => (await setUnschedulable(ctx, node, false)).summary,
  },
});
