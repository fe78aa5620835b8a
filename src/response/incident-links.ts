/**
 * Which alerts belong together: two alerts are related when they name a common entity. An alert names every entity
 * of its finding (Alert.entities), and ingest puts into one detection every entity its event names
 * (rules/entities/entities.yml), so the events themselves link entities: a process or Falco event names the pod and
 * the node it runs on; a Kubernetes audit event of a workload's service account names that account and the pod it
 * creates or execs into; a CloudTrail AssumeRole names the caller and the role session it opens, CreateAccessKey the
 * caller and the user the key is for. Chains of such links (alert A and B share the pod, B and C the node) make one
 * incident.
 *
 * Accounts and generic groups do not link: every CloudTrail event names its AWS account, so linking by it would put
 * every finding of the account into one incident. An alert naming only such entities is grouped by them (it still
 * needs a home). Pure: the incident router runs it in its sandbox.
 */
import type { Alert } from '../model/alert';
import type { EntityRef, EntityType } from '../model/entity';

/** Entity types too broad to link alerts (see above). */
export const nonLinkingTypes: ReadonlySet<EntityType> = new Set<EntityType>(['account', 'group']);

export function entityKey(entity: EntityRef): string {
  return `${entity.type}:${entity.id}`;
}

/** The entities of an alert (`entities`, or `entity` alone for alerts raised before `entities` existed). */
export function alertEntities(alert: Pick<Alert, 'entity' | 'entities'>): EntityRef[] {
  return (alert.entities as EntityRef[] | undefined)?.length ? alert.entities : [alert.entity];
}

/** The keys by which an alert joins an incident: its linking entities, or all of them when none links. */
export function linkKeys(alert: Pick<Alert, 'entity' | 'entities'>): string[] {
  const entities = alertEntities(alert);
  const linking = entities.filter((e) => !nonLinkingTypes.has(e.type));
  return [...new Set((linking.length > 0 ? linking : entities).map(entityKey))];
}
