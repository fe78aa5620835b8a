/**
 * The containment activities, derived from the action records (src/response/actions/registry.ts): each
 * action contributes its apply activity and, when reversible, its revert activity, under the type names
 * the records declare (workflow histories refer to them). The activity adds what records leave out: the
 * effective dry-run (binding OR global VIGIL_DRY_RUN), the clients, and the undo's `action` name.
 */
import type { ActionContext } from '../src/response/actions/action';
import { containmentActions, isReversible, type AnyAction, type ApplyActivityName, type UndoActivityName } from '../src/response/actions/registry';
import type { ContainmentRequest, ContainmentResult, UndoStep } from '../src/response/containment';
import { iamClient, type AwsIamSettings } from './aws-iam';
import { notConfigured } from './http-call';
import { kubernetesClient, type KubernetesSettings } from './kubernetes';

type ApplyActivity = (request: ContainmentRequest, dryRun: boolean) => Promise<ContainmentResult>;
type RevertActivity = (undo: UndoStep, dryRun: boolean) => Promise<string>;
export type ContainmentActivities = Record<ApplyActivityName, ApplyActivity> & Record<UndoActivityName, RevertActivity>;

export interface ContainmentDeps {
  /** Global dry-run (VIGIL_DRY_RUN): forces every action to only say what it would do. */
  dryRun: boolean;
  kubernetes?: KubernetesSettings;
  awsIam?: AwsIamSettings;
}

export function createContainmentActivities(deps: ContainmentDeps): ContainmentActivities {
  let iam: ReturnType<typeof iamClient> | undefined;
  const context = (dryRun: boolean): ActionContext => ({
    dryRun: dryRun || deps.dryRun,
    kubernetes() {
      if (!deps.kubernetes) throw notConfigured('Kubernetes (VIGIL_K8S_CONFIG, or VIGIL_K8S_API_URL and VIGIL_K8S_TOKEN)');
      return kubernetesClient(deps.kubernetes);
    },
    iam() {
      if (!deps.awsIam) throw notConfigured('AWS IAM (VIGIL_AWS_CREDENTIALS, or VIGIL_AWS_ACCESS_KEY_ID and VIGIL_AWS_SECRET_ACCESS_KEY)');
      return (iam ??= iamClient(deps.awsIam));
    },
  });

  const activities = new Map<string, ApplyActivity | RevertActivity>();
  const register = (name: string, activity: ApplyActivity | RevertActivity) => {
    if (activities.has(name)) throw new Error(`two containment activities are named ${name}`);
    activities.set(name, activity);
  };
  for (const action of containmentActions as readonly AnyAction[]) {
    const undo = action.undo;
    register(action.activity, async (request: ContainmentRequest, dryRun: boolean): Promise<ContainmentResult> => {
      const ctx = context(dryRun);
      const applied = await action.apply(ctx, request);
      return { summary: applied.summary, undo: applied.undo && isReversible(undo) ? { action: undo.name, ...applied.undo } as UndoStep : null, dryRun: ctx.dryRun };
    });
    if (isReversible(undo)) register(undo.activity, (step: UndoStep, dryRun: boolean) => undo.revert(context(dryRun), step));
  }
  return Object.fromEntries(activities) as ContainmentActivities;
}
