/**
 * The containment actions Vigil knows, in one list. Everything else is derived from it: the playbook
 * params schema (playbook-spec.ts), target resolution and hold keys in the workflow (containment.ts), and
 * the worker's activities (activities/containment.ts). Adding an action: write its file, list it here.
 */
import type { z } from 'zod';
import type { ActionDefinition, Irreversible, UndoDefinition } from './action';
import { deactivateAccessKey } from './aws-deactivate-access-key';
import { denyAllUserPolicy } from './aws-deny-all-user-policy';
import { disableConsoleLogin } from './aws-disable-console-login';
import { cordonNode } from './k8s-cordon-node';
import { deletePod } from './k8s-delete-pod';
import { isolatePod } from './k8s-isolate-pod';
import { scaleDeployment } from './k8s-scale-deployment';

type Fields = Record<string, string | number>;
/** Any action, with its request and undo types erased to the wire shape. */
export type AnyAction = ActionDefinition<string, string, z.ZodRawShape, Fields, Fields, string, string>;
export type AnyUndo = UndoDefinition<string, string, Fields>;

export const containmentActions = [isolatePod, deletePod, scaleDeployment, cordonNode, deactivateAccessKey, denyAllUserPolicy, disableConsoleLogin] as const satisfies readonly AnyAction[];

type Action = (typeof containmentActions)[number];
export type ContainmentActionName = Action['name'];
export type ApplyActivityName = Action['activity'];
type ReversibleUndo = Exclude<Action['undo'], Irreversible>;
export type UndoActionName = ReversibleUndo['name'];
export type UndoActivityName = ReversibleUndo['activity'];

export const isReversible = (undo: AnyAction['undo']): undo is AnyUndo => !('irreversible' in undo);

const byName = new Map<string, AnyAction>(containmentActions.map((action) => [action.name, action]));
const undoByName = new Map<string, AnyUndo>(containmentActions.flatMap((action) => (isReversible(action.undo) ? [[action.undo.name, action.undo] as const] : [])));

/** The action a validated step or request names (names come from the schema built from this list). */
export function containmentAction(name: string): AnyAction {
  const action = byName.get(name);
  if (!action) throw new Error(`unknown containment action ${name}`);
  return action;
}

/** The undo an UndoStep names. */
export function undoDefinition(name: string): AnyUndo {
  const undo = undoByName.get(name);
  if (!undo) throw new Error(`unknown undo ${name}`);
  return undo;
}
