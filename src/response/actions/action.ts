/**
 * One containment action as a single record: its YAML name and params, how it finds its target in an
 * alert, the key of what it holds, the activity names, and how it applies and reverts itself. The
 * playbook schema, the workflow's apply/revert and the worker's activities are all derived from the
 * records in registry.ts, so a new action is one file here plus a line there.
 *
 * **Invariant**: an action file imports nothing with side effects. The playbook workflow imports the
 * records (for `resolve` and `target`, which must run deterministically inside the workflow), so
 * `apply`/`revert` reach Kubernetes and IAM only through the clients in ActionContext, typed with
 * `import type` and constructed by the worker (activities/). test/response/workflow-bundle.test.ts
 * checks that no client library or activity module reaches the workflow bundle.
 */
import type { AppsV1Api, ConfigurationOptions, CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import type { IAM } from '@aws-sdk/client-iam';
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import type { Alert } from '../../model/alert';

/** The Kubernetes API groups actions use, bound to the configured cluster and credentials. */
export interface KubernetesApis {
  core: CoreV1Api;
  apps: AppsV1Api;
  networking: NetworkingV1Api;
  /** Per-call options that send a patch as `application/merge-patch+json` (RFC 7386). */
  mergePatch: ConfigurationOptions;
}

/**
 * Runs one call; a failure is classified for Temporal (network, 408, 429, 5xx / throttling retryable;
 * any other refusal VGL_ACTION_REJECTED, not retried). Refusals listed in `accept` (HTTP statuses for
 * Kubernetes, IAM error codes such as `NoSuchEntity`) resolve to undefined instead: idempotent steps.
 */
export interface ActionClient<Api, Refusal> {
  call<T>(what: string, fn: (api: Api) => Promise<T>, accept?: Refusal[]): Promise<T | undefined>;
}

export interface ActionContext {
  /** Binding or global dry-run: the action only says what it would do and sends nothing. */
  dryRun: boolean;
  /** The cluster client; throws VGL_ACTION_NOT_CONFIGURED when the worker has no Kubernetes settings. */
  kubernetes(): ActionClient<KubernetesApis, number>;
  /** The IAM client; throws VGL_ACTION_NOT_CONFIGURED when the worker has no AWS settings. */
  iam(): ActionClient<IAM, string>;
}

/** What a run applied, as its activity returns it: a report line and the undo to run later (or none). */
export interface Applied<Undo> {
  summary: string;
  undo: Undo | null;
}

type Fields = Record<string, string | number>;

/** How an action is reverted: its own name (the UndoStep's `action`), activity, target key and revert. */
export interface UndoDefinition<UndoName extends string, UndoActivity extends string, Undo extends Fields> {
  name: UndoName;
  /** Activity type name; never rename one (workflow histories refer to it). */
  activity: UndoActivity;
  /** Equal to the action's `target` for the request that declared this undo. */
  target(undo: Undo): string;
  revert(ctx: ActionContext, undo: Undo): Promise<string>;
}

/** An action that cannot be undone says why (the report and README show it). */
export interface Irreversible {
  irreversible: string;
}

export interface ActionDefinition<
  Name extends string,
  Activity extends string,
  Shape extends z.ZodRawShape,
  Request extends Fields,
  Undo extends Fields,
  UndoName extends string,
  UndoActivity extends string,
> {
  /** The `action:` of a containment step in rules/responses. */
  name: Name;
  /** Activity type name; never rename one (workflow histories refer to it). */
  activity: Activity;
  /** The step's params besides `action` (targets default to what the alert names). */
  params: Shape;
  /** The concrete request for this alert, or the name of the target that is missing (`'pod'`). */
  resolve(params: z.infer<z.ZodObject<Shape>>, alert: Alert): Request | string;
  /**
   * The thing the containment holds, as a stable key (`k8s.pod:shop/web-1`). Runs that hold the same key
   * hand their undo to the last holder. Undefined for irreversible actions (nothing is held).
   */
  target(request: NoInfer<Request>): string | undefined;
  undo: UndoDefinition<UndoName, UndoActivity, NoInfer<Undo>> | Irreversible;
  /** Changes the system (unless ctx.dryRun) and declares the undo; its return type is the undo's. */
  apply(ctx: ActionContext, request: NoInfer<Request>): Promise<Applied<Undo>>;
}

/** Identity with inference: `defineAction({...})` types resolve/apply/revert from the params and undo. */
export function defineAction<
  Name extends string,
  Activity extends string,
  Shape extends z.ZodRawShape,
  Request extends Fields,
  Undo extends Fields = never,
  UndoName extends string = never,
  UndoActivity extends string = never,
>(definition: ActionDefinition<Name, Activity, Shape, Request, Undo, UndoName, UndoActivity>): ActionDefinition<Name, Activity, Shape, Request, Undo, UndoName, UndoActivity> {
  return definition;
}

/** Every summary of a dry run starts with this, so reports never mistake it for a change. */
export function dryRunPrefix(ctx: Pick<ActionContext, 'dryRun'>): string {
  return ctx.dryRun ? '[dry-run] ' : '';
}

/** The target exists in the alert but not in the system (e.g. a key the user does not have): retrying cannot help. */
export function targetNotFound(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'VGL_ACTION_TARGET');
}
