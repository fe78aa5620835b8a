/**
 * `aws.deactivateAccessKey`: set the user's access key Inactive (IAM UpdateAccessKey), after checking with
 * ListAccessKeys that the user has it. A key someone had already disabled declares no undo, so the TTL
 * never re-enables it. Undo: set it Active again.
 */
import type { ActionContext } from './action';
import { defineAction, dryRunPrefix, targetNotFound } from './action';
import { fieldValue, iamUserOf, TargetValueSchema, valueOf } from './targets';

async function setStatus(ctx: ActionContext, user: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<{ summary: string; changed: boolean }> {
  let changed = true;
  if (!ctx.dryRun) {
    const iam = ctx.iam();
    const listing = await iam.call(`ListAccessKeys ${user}`, (api) => api.listAccessKeys({ UserName: user }));
    const key = listing?.AccessKeyMetadata?.find((k) => k.AccessKeyId === accessKeyId);
    if (!key) throw targetNotFound(`IAM user ${user} has no access key ${accessKeyId}`);
    changed = key.Status !== status;
    if (changed) await iam.call(`UpdateAccessKey ${accessKeyId}`, (api) => api.updateAccessKey({ UserName: user, AccessKeyId: accessKeyId, Status: status }));
  }
  const verb = status === 'Inactive' ? 'deactivated' : 'reactivated';
  return { summary: `${dryRunPrefix(ctx)}${changed ? verb : `left already ${status.toLowerCase()}`} access key ${accessKeyId} of IAM user ${user}`, changed };
}

const key = ({ user, accessKeyId }: { user: string; accessKeyId: string }) => `aws.key:${user}/${accessKeyId}`;

export const deactivateAccessKey = defineAction({
  name: 'aws.deactivateAccessKey',
  activity: 'deactivateAccessKey',
  params: { user: TargetValueSchema.optional(), accessKeyId: TargetValueSchema.optional() },
  resolve(params, alert) {
    const user = valueOf(alert, params.user, () => iamUserOf(alert));
    const accessKeyId = valueOf(alert, params.accessKeyId, () => fieldValue(alert, 'userIdentity.accessKeyId'));
    if (!user) return 'IAM user';
    if (!accessKeyId) return 'access key id';
    return { user, accessKeyId };
  },
  target: key,
  async apply(ctx, { user, accessKeyId }) {
    const { summary, changed } = await setStatus(ctx, user, accessKeyId, 'Inactive');
    return { summary, undo: changed ? { user, accessKeyId } : null };
  },
  undo: {
    name: 'aws.activateAccessKey',
    activity: 'activateAccessKey',
    target: key,
    revert: async (ctx, { user, accessKeyId }) => (await setStatus(ctx, user, accessKeyId, 'Active')).summary,
  },
});
