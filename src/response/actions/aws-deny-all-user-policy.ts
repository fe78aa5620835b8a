/**
 * `aws.denyAllUserPolicy`: attach an inline deny-all policy to the IAM user (PutUserPolicy replaces a
 * policy of the same name, so a repeat is harmless). Undo: DeleteUserPolicy; NoSuchEntity counts as done.
 */
import { defineAction, dryRunPrefix } from './action';
import { iamUserParams, resolveIamUser } from './targets';

const denyAllPolicyName = 'vigil-deny-all';
const denyAllPolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'VigilQuarantine', Effect: 'Deny', Action: '*', Resource: '*' }] });
const key = ({ user }: { user: string }) => `aws.userPolicy:${user}`;

export const denyAllUserPolicy = defineAction({
  name: 'aws.denyAllUserPolicy',
  activity: 'denyAllUserPolicy',
  params: iamUserParams,
  resolve: resolveIamUser,
  target: key,
  async apply(ctx, { user }) {
    if (!ctx.dryRun) await ctx.iam().call(`PutUserPolicy ${user}`, (api) => api.putUserPolicy({ UserName: user, PolicyName: denyAllPolicyName, PolicyDocument: denyAllPolicy }));
    return { summary: `${dryRunPrefix(ctx)}attached inline deny-all policy ${denyAllPolicyName} to IAM user ${user}`, undo: { user, policyName: denyAllPolicyName } };
  },
  undo: {
    name: 'aws.deleteUserPolicy',
    activity: 'deleteUserPolicy',
    target: key,
    async revert(ctx, { user, policyName }) {
      if (!ctx.dryRun) await ctx.iam().call(`DeleteUserPolicy ${user}`, (api) => api.deleteUserPolicy({ UserName: user, PolicyName: policyName }), ['NoSuchEntity']);
      return `${dryRunPrefix(ctx)}removed inline policy ${policyName} from IAM user ${user}`;
    },
  },
});
