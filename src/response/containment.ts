/**
 * Containment as the activities receive it (concrete targets) and the undo each one declares. Pure:
 * the playbook workflow resolves steps against the alert here, deterministically, before calling
 * activities, so history shows exactly which pod/node/user/key an action touched.
 */
import type { Alert } from '../model/alert';
import type { ContainmentStep, TargetValue } from './playbook-spec';

export type ContainmentRequest =
  | { action: 'k8s.isolatePod'; namespace: string; pod: string }
  | { action: 'k8s.deletePod'; namespace: string; pod: string }
  | { action: 'k8s.scaleDeployment'; namespace: string; deployment: string }
  | { action: 'k8s.cordonNode'; node: string }
  | { action: 'aws.deactivateAccessKey'; user: string; accessKeyId: string }
  | { action: 'aws.denyAllUserPolicy'; user: string };

/** How to revert one applied containment; `null` for actions that cannot be undone (pod deletion). */
export type UndoStep =
  | { action: 'k8s.releasePod'; namespace: string; pod: string; policyName: string }
  | { action: 'k8s.restoreDeploymentScale'; namespace: string; deployment: string; replicas: number }
  | { action: 'k8s.uncordonNode'; node: string }
  | { action: 'aws.activateAccessKey'; user: string; accessKeyId: string }
  | { action: 'aws.deleteUserPolicy'; user: string; policyName: string };

export interface ContainmentResult {
  /** One human-readable line for the report (prefixed `[dry-run]` when nothing was changed). */
  summary: string;
  undo: UndoStep | null;
  /** True when the action only logged (binding or global dry-run): there is nothing real to hold. */
  dryRun: boolean;
}

/** The first non-empty value of `field` in the alert: group values, then events newest first. */
function fieldValue(alert: Alert, field: string): string | undefined {
  const fromGroup = alert.group[field];
  if (fromGroup) return fromGroup;
  for (let i = alert.events.length - 1; i >= 0; i--) {
    const value = alert.events[i]!.fields[field];
    if (value !== null && value !== undefined && value !== '') return String(value);
  }
  return undefined;
}

function valueOf(alert: Alert, value: TargetValue | undefined, fallback: () => string | undefined): string | undefined {
  if (value === undefined) return fallback();
  return typeof value === 'string' ? value : fieldValue(alert, value.field);
}

/** A pod entity id is `namespace/name` (a bare name means the `default` namespace). */
function podOf(alert: Alert): { namespace: string; pod: string } | undefined {
  if (alert.entity.type !== 'pod') return undefined;
  const slash = alert.entity.id.indexOf('/');
  return slash < 0 ? { namespace: 'default', pod: alert.entity.id } : { namespace: alert.entity.id.slice(0, slash), pod: alert.entity.id.slice(slash + 1) };
}

/** An IAM user name from the alert: the user entity (ARN tail) or CloudTrail's userIdentity.userName. */
function iamUserOf(alert: Alert): string | undefined {
  if (alert.entity.type === 'user') return alert.entity.id.split('/').pop();
  return fieldValue(alert, 'userIdentity.userName');
}

/** The person an alert is about, for "did you just do this?": explicit value, user entity, or identity fields. */
export function affectedUser(alert: Alert, value: TargetValue | undefined): string | undefined {
  return valueOf(alert, value, () => (alert.entity.type === 'user' ? alert.entity.id : fieldValue(alert, 'userIdentity.userName') ?? fieldValue(alert, 'user.username')));
}

/** Concrete request for `step`, or a sentence saying which target is missing. */
export function resolveContainment(step: ContainmentStep, alert: Alert): ContainmentRequest | string {
  const missing = (what: string): string => `${step.action}: no ${what} in alert ${alert.id} (set it in the binding)`;
  switch (step.action) {
    case 'k8s.isolatePod':
    case 'k8s.deletePod': {
      const pod = valueOf(alert, step.pod, () => podOf(alert)?.pod ?? fieldValue(alert, 'objectRef.name'));
      const namespace = valueOf(alert, step.namespace, () => podOf(alert)?.namespace ?? fieldValue(alert, 'objectRef.namespace'));
      if (!pod) return missing('pod');
      if (!namespace) return missing('namespace');
      return { action: step.action, namespace, pod };
    }
    case 'k8s.scaleDeployment': {
      const deployment = valueOf(alert, step.deployment, () => undefined);
      const namespace = valueOf(alert, step.namespace, () => podOf(alert)?.namespace ?? fieldValue(alert, 'objectRef.namespace'));
      if (!deployment) return missing('deployment');
      if (!namespace) return missing('namespace');
      return { action: step.action, namespace, deployment };
    }
    case 'k8s.cordonNode': {
      const node = valueOf(alert, step.node, () => (alert.entity.type === 'host' ? alert.entity.id : undefined));
      return node ? { action: step.action, node } : missing('node');
    }
    case 'aws.deactivateAccessKey': {
      const user = valueOf(alert, step.user, () => iamUserOf(alert));
      const accessKeyId = valueOf(alert, step.accessKeyId, () => fieldValue(alert, 'userIdentity.accessKeyId'));
      if (!user) return missing('IAM user');
      if (!accessKeyId) return missing('access key id');
      return { action: step.action, user, accessKeyId };
    }
    case 'aws.denyAllUserPolicy': {
      const user = valueOf(alert, step.user, () => iamUserOf(alert));
      return user ? { action: step.action, user } : missing('IAM user');
    }
  }
}

/**
 * The thing a containment holds, as a stable key (`k8s.pod:shop/web-1`, `aws.key:ci/AKIA…`). Two runs
 * that contain the same key share it: the one whose TTL ends first hands its undo to the other, so the
 * containment ends only when the last holder lets go. Undefined for irreversible actions.
 */
export function containmentTarget(request: ContainmentRequest): string | undefined {
  switch (request.action) {
    case 'k8s.isolatePod':
      return `k8s.pod:${request.namespace}/${request.pod}`;
    case 'k8s.deletePod':
      return undefined;
    case 'k8s.scaleDeployment':
      return `k8s.deployment:${request.namespace}/${request.deployment}`;
    case 'k8s.cordonNode':
      return `k8s.node:${request.node}`;
    case 'aws.deactivateAccessKey':
      return `aws.key:${request.user}/${request.accessKeyId}`;
    case 'aws.denyAllUserPolicy':
      return `aws.userPolicy:${request.user}`;
  }
}

/** The key an undo releases; equal to containmentTarget of the action that declared it. */
export function undoTarget(undo: UndoStep): string {
  switch (undo.action) {
    case 'k8s.releasePod':
      return `k8s.pod:${undo.namespace}/${undo.pod}`;
    case 'k8s.restoreDeploymentScale':
      return `k8s.deployment:${undo.namespace}/${undo.deployment}`;
    case 'k8s.uncordonNode':
      return `k8s.node:${undo.node}`;
    case 'aws.activateAccessKey':
      return `aws.key:${undo.user}/${undo.accessKeyId}`;
    case 'aws.deleteUserPolicy':
      return `aws.userPolicy:${undo.user}`;
  }
}
