/**
 * Containment as the workflow and activities exchange it: concrete requests, the undo each one declares,
 * and the keys of what they hold. Pure: the playbook workflow resolves steps against the alert here,
 * deterministically, before calling activities, so history shows exactly which pod/node/user/key an
 * action touched. What each action does is in its record (actions/registry.ts).
 */
import type { Alert } from '../model/alert';
import { containmentAction, undoDefinition, type ContainmentActionName, type UndoActionName } from './actions/registry';
import type { ContainmentStep } from './playbook-spec';

export { affectedUser } from './actions/targets';

type Fields = Record<string, string | number>;

/** A step resolved against an alert: the action name plus its concrete targets (the apply activity's input). */
export type ContainmentRequest = { action: ContainmentActionName } & Fields;

/** How to revert one applied containment (the revert activity's input, and what inheritUndoSignal carries). */
export type UndoStep = { action: UndoActionName } & Fields;

export interface ContainmentResult {
  /** One human-readable line for the report (prefixed `[dry-run]` when nothing was changed). */
  summary: string;
  /** Null for actions that cannot be undone and for changes that were already in place. */
  undo: UndoStep | null;
  /** True when the action only logged (binding or global dry-run): there is nothing real to hold. */
  dryRun: boolean;
}

/** Concrete request for `step`, or a sentence saying which target is missing. */
export function resolveContainment(step: ContainmentStep, alert: Alert): ContainmentRequest | string {
  const { action: name, ...params } = step;
  const resolved = containmentAction(name).resolve(params, alert);
  if (typeof resolved === 'string') return `${name}: no ${resolved} in alert ${alert.id} (set it in the binding)`;
  return { action: name, ...resolved };
}

/**
 * The thing a containment holds, as a stable key (`k8s.pod:shop/web-1`, `aws.key:ci/AKIA…`). Two runs
 * that contain the same key share it: the one whose TTL ends first hands its undo to the other, so the
 * containment ends only when the last holder lets go. Undefined for irreversible actions.
 */
export function containmentTarget(request: ContainmentRequest): string | undefined {
  return containmentAction(request.action).target(request);
}

/**
 * What a playbook's containment acts on for `alert`, as one stable key: each step's held target (containmentTarget),
 * or for an irreversible step its action and resolved fields, distinct and in step order, joined with `+`.
 * Undefined when the playbook contains nothing or a step names no target in the alert (that run fails on its own).
 * Alerts with equal keys share one run of the playbook, hence one approval (workflows/correlator/playbook-start.ts).
 * **Invariant**: deterministic and stable across versions: it is part of child workflow ids in correlator histories.
 */
export function runTarget(steps: readonly ContainmentStep[], alert: Alert): string | undefined {
  const keys: string[] = [];
  for (const step of steps) {
    const request = resolveContainment(step, alert);
    if (typeof request === 'string') return undefined;
    const { action, ...fields } = request;
    const key = containmentTarget(request) ?? `${action}:${Object.keys(fields).sort().map((name) => `${name}=${fields[name]}`).join(',')}`;
    if (!keys.includes(key)) keys.push(key);
  }
  return keys.length > 0 ? keys.join('+') : undefined;
}

/** The key an undo releases; equal to containmentTarget of the action that declared it. */
export function undoTarget(undo: UndoStep): string {
  return undoDefinition(undo.action).target(undo);
}
