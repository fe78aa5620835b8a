/**
 * Which entity owns a finding, so that a finding raises exactly one alert. A detection names every entity its
 * event concerns (rules/entities/entities.yml) and reaches each one's correlator; only the owner's raises the alert,
 * the others record the risk and a timeline row that points to it (workflows/correlator/entity-state.ts).
 *
 * The owner of a detection hit is the most specific entity it names: pod > host > user > ip > account > group. A
 * pod runs on a host, a host has users, an address or an account spans many of these, and `group` (the keyed
 * correlator of a correlation that groups by no entity) is only a window, never a subject. Between two entities of
 * the same type the first named wins (the mapping's order). A correlation hit is owned by the correlator it runs
 * in, the correlation's group-by entity (src/ingest/correlation-routing.ts), so it needs no rule here.
 *
 * Pure and deterministic: it runs in the workflow sandbox, and every correlator a detection reaches must pick the
 * same owner from the same list.
 */
import type { Alert } from './alert';
import type { EntityRef, EntityType } from './entity';

/** Lower is more specific. A Record over EntityType: a new entity type does not compile until it is placed here. */
const specificity: Record<EntityType, number> = { pod: 0, host: 1, user: 2, ip: 3, account: 4, group: 5 };

/** Entity types from most to least specific (the ownership order, for docs and tests). */
export const ownershipOrder: readonly EntityType[] = (Object.keys(specificity) as EntityType[]).sort((a, b) => specificity[a] - specificity[b]);

export function sameEntity(a: EntityRef, b: EntityRef): boolean {
  return a.type === b.type && a.id === b.id;
}

/** The owner of a detection naming `named` (undefined when it names none). */
export function findingOwner(named: readonly EntityRef[]): EntityRef | undefined {
  let owner: EntityRef | undefined;
  for (const e of named) if (owner === undefined || specificity[e.type] < specificity[owner.type]) owner = e;
  return owner;
}

/** Every entity a finding names, once each, `owner` first and the others in the order they are named. */
export function findingEntities(owner: EntityRef, named: readonly EntityRef[]): EntityRef[] {
  const out: EntityRef[] = [owner];
  for (const e of named) if (!out.some((o) => sameEntity(o, e))) out.push(e);
  return out;
}

/**
 * The first entity of `type` the alert's finding names, the owner first (a pod alert's node and user are in
 * `entities`, not `entity`). Alerts raised before `entities` existed (playbook histories) name only their entity.
 */
export function namedEntity(alert: Pick<Alert, 'entity' | 'entities'>, type: EntityType): EntityRef | undefined {
  return ((alert.entities as EntityRef[] | undefined) ?? [alert.entity]).find((e) => e.type === type);
}
