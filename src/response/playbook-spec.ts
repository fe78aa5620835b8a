/**
 * What a playbook does, as a binding's resolved `params` carry it into the playbook workflow. The
 * workflow interprets this spec step by step (notify → ask the user → approval → contain → TTL → ticket),
 * so new playbooks are YAML, not code. Validated once when rules/responses is loaded; the workflow
 * trusts it (it arrives inside PlaybookBinding.params).
 */
import { z } from 'zod';
import { parseDuration } from '../../workflows/correlator/duration';
import { containmentActions, type ContainmentActionName } from './actions/registry';
import { TargetValueSchema, type TargetValue } from './actions/targets';

/** The same duration syntax as correlator settings (one parser, used again by the playbook workflow). */
const DurationSchema = z.string().refine(
  (text) => {
    try {
      return parseDuration(text) >= 0;
    } catch {
      return false;
    }
  },
  { message: 'expected a duration such as 90s, 15m, 1h, 2d' },
);

/**
 * Containment steps: `action` names a record in actions/registry.ts, the other keys are its params.
 * Targets default to what the alert's entity names; each action declares its undo (or why it has none).
 */
const stepSchemas = containmentActions.map((action) => z.object({ action: z.literal(action.name), ...action.params }).strict());
export const ContainmentStepSchema = z.discriminatedUnion('action', stepSchemas as [(typeof stepSchemas)[number], ...(typeof stepSchemas)[number][]]);
export type ContainmentStep = { action: ContainmentActionName } & Record<string, TargetValue | undefined>;

export const NotifyChannelSchema = z.enum(['webhook', 'slack', 'slack_webhook']);
export type NotifyChannel = z.infer<typeof NotifyChannelSchema>;

/** An approver as the workflow sees it: identity name plus every alias that names the same person. */
export interface ResolvedApprover {
  name: string;
  aliases: string[];
  /** Chat user id, so escalation can mention people. */
  chatUserId?: string;
}

export interface ResolvedApproverGroup {
  name: string;
  members: ResolvedApprover[];
}

export const ApprovalSpecSchema = z
  .object({
    /** Group names from approvers config; the first is asked first, each next one on escalation. */
    groups: z.array(z.string().min(1)).min(1),
    /** Approvals needed. 1 = first response wins (approve or deny); N > 1 = N distinct approvers, any deny vetoes. */
    quorum: z.number().int().min(1).default(1),
    /** How long each group has before escalation to the next (and, after the last, the default). */
    timeout: DurationSchema.default('1h'),
    /** Applied when every group timed out. */
    default: z.enum(['approve', 'deny']).default('deny'),
  })
  .strict();

export const UserConfirmationSpecSchema = z
  .object({
    /** Where to find the affected user's identity in the alert; default: the alert entity when it is a user. */
    user: TargetValueSchema.optional(),
    timeout: DurationSchema.default('15m'),
    /** What silence means: continue to approval/containment, or contain at once. */
    onSilence: z.enum(['continue', 'contain']).default('continue'),
  })
  .strict();

export const RetrySpecSchema = z
  .object({
    initialInterval: DurationSchema.default('1s'),
    maximumInterval: DurationSchema.default('1m'),
    maximumAttempts: z.number().int().min(1).default(5),
    /** Per attempt. */
    timeout: DurationSchema.default('30s'),
  })
  .strict();

export const PlaybookParamsSchema = z
  .object({
    description: z.string().optional(),
    notify: z.array(NotifyChannelSchema).default(['webhook']),
    confirmUser: UserConfirmationSpecSchema.optional(),
    approval: ApprovalSpecSchema.optional(),
    containment: z.array(ContainmentStepSchema).default([]),
    /** Revert containment after this long unless an analyst keeps it. Absent: containment stays. */
    ttl: DurationSchema.optional(),
    /** Repeat offenders: the TTL is multiplied by this for each earlier containment of the entity by this playbook. */
    ttlEscalationFactor: z.number().min(1).default(2),
    maxTtl: DurationSchema.default('7d'),
    ticket: z.boolean().default(false),
    /** Containment and tickets of this binding only say what they would do (notices are still sent). */
    dryRun: z.boolean().default(false),
    /** Notices and the user question of this binding only say what they would send. */
    dryRunNotices: z.boolean().default(false),
    retry: RetrySpecSchema.prefault({}),
  })
  .strict();

type ParsedParams = z.infer<typeof PlaybookParamsSchema>;

/** Binding params after approver groups are resolved to people (what PlaybookBinding.params holds). */
export type PlaybookSpec = Omit<ParsedParams, 'approval'> & {
  approval?: Omit<NonNullable<ParsedParams['approval']>, 'groups'> & { groups: ResolvedApproverGroup[] };
};
