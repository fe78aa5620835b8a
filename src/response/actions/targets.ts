/**
 * Where an action's targets come from: a binding value (literal or alert field) or, by default, what the
 * alert's entity and events name. Pure and deterministic: the playbook workflow resolves targets here,
 * before calling activities, so history shows exactly which pod/node/user/key an action touched.
 */
import { z } from 'zod';
import type { Alert } from '../../model/alert';
import { namedEntity } from '../../model/finding-owner';

/** A value taken from the alert: a literal, or an event field / group value (first non-empty wins). */
export const TargetValueSchema = z.union([
  z.string().min(1),
  z.object({ field: z.string().min(1) }).strict(),
]);
export type TargetValue = z.infer<typeof TargetValueSchema>;

/** The first non-empty value of `field` in the alert: group values, then events newest first. */
export function fieldValue(alert: Alert, field: string): string | undefined {
  const fromGroup = alert.group[field];
  if (fromGroup) return fromGroup;
  for (let i = alert.events.length - 1; i >= 0; i--) {
    const value = alert.events[i]!.fields[field];
    if (value !== null && value !== undefined && value !== '') return String(value);
  }
  return undefined;
}

/** The binding's value when it gave one, else `fallback()` (what the alert names by default). */
export function valueOf(alert: Alert, value: TargetValue | undefined, fallback: () => string | undefined): string | undefined {
  if (value === undefined) return fallback();
  return typeof value === 'string' ? value : fieldValue(alert, value.field);
}

/** A pod entity id is `namespace/name` (a bare name means the `default` namespace). */
function podOf(alert: Alert): { namespace: string; pod: string } | undefined {
  const entity = namedEntity(alert, 'pod');
  if (!entity) return undefined;
  const slash = entity.id.indexOf('/');
  return slash < 0 ? { namespace: 'default', pod: entity.id } : { namespace: entity.id.slice(0, slash), pod: entity.id.slice(slash + 1) };
}

/** The pod entity's name (the alert's finding may name it besides its owner), or the audit event's object name. */
export const podName = (alert: Alert): string | undefined => podOf(alert)?.pod ?? fieldValue(alert, 'objectRef.name');

/** The pod entity's namespace, or the audit event's object namespace. */
export const podNamespace = (alert: Alert): string | undefined => podOf(alert)?.namespace ?? fieldValue(alert, 'objectRef.namespace');

/** Params of actions on one pod: both default to the pod entity or the audit event's object. */
export const podParams = { namespace: TargetValueSchema.optional(), pod: TargetValueSchema.optional() };

export function resolvePod(params: { namespace?: TargetValue; pod?: TargetValue }, alert: Alert): { namespace: string; pod: string } | string {
  const pod = valueOf(alert, params.pod, () => podName(alert));
  const namespace = valueOf(alert, params.namespace, () => podNamespace(alert));
  if (!pod) return 'pod';
  if (!namespace) return 'namespace';
  return { namespace, pod };
}

/** An IAM user name from the alert: the user entity (ARN tail) or CloudTrail's userIdentity.userName. */
export function iamUserOf(alert: Alert): string | undefined {
  const user = namedEntity(alert, 'user');
  if (user) return user.id.split('/').pop();
  return fieldValue(alert, 'userIdentity.userName');
}

/** Params of actions on one IAM user: defaults to the user entity or CloudTrail's identity. */
export const iamUserParams = { user: TargetValueSchema.optional() };

export function resolveIamUser(params: { user?: TargetValue }, alert: Alert): { user: string } | string {
  const user = valueOf(alert, params.user, () => iamUserOf(alert));
  return user ? { user } : 'IAM user';
}

/** The person an alert is about, for "did you just do this?": explicit value, user entity, or identity fields. */
export function affectedUser(alert: Alert, value: TargetValue | undefined): string | undefined {
  return valueOf(alert, value, () => namedEntity(alert, 'user')?.id ?? fieldValue(alert, 'userIdentity.userName') ?? fieldValue(alert, 'user.username'));
}
