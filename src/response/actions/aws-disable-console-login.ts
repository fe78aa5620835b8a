/**
 * `aws.disableConsoleLogin`: delete the IAM user's console password (DeleteLoginProfile), so a leaked
 * password no longer signs in. Console sessions already open are not ended (deny-all does that). Cannot
 * be undone: IAM never returns a password, so an administrator sets a new one. NoSuchEntity (the user
 * has no console password) counts as done.
 */
import { defineAction, dryRunPrefix } from './action';
import { iamUserParams, resolveIamUser } from './targets';

export const disableConsoleLogin = defineAction({
  name: 'aws.disableConsoleLogin',
  activity: 'disableConsoleLogin',
  params: iamUserParams,
  resolve: resolveIamUser,
  target: () => undefined,
  async apply(ctx, { user }) {
    const deleted = ctx.dryRun || (await ctx.iam().call(`DeleteLoginProfile ${user}`, (api) => api.deleteLoginProfile({ UserName: user }), ['NoSuchEntity'])) !== undefined;
    return { summary: deleted ? `${dryRunPrefix(ctx)}deleted the console password of IAM user ${user}` : `IAM user ${user} had no console password`, undo: null };
  },
  undo: { irreversible: 'IAM cannot restore a deleted password; an administrator sets a new one (CreateLoginProfile)' },
});
