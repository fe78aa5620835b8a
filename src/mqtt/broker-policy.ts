/**
 * Who may do what on which topic at the MQTT broker: the one policy that both the embedded broker (aedes
 * hooks) and the generated Mosquitto configuration enforce. Deny by default; each identity holds only what
 * its role needs:
 *   collector of T     publish vigil/v1/T/events/+ (and nothing else: no reads)
 *   ingest             subscribe to and receive vigil/v1/+/events/+ (plain, or in its `$share` group);
 *                      publish vigil/v1/+/deadletter
 *   operator of T      subscribe to and receive vigil/v1/T/deadletter; the global operator every tenant's
 * Subscriptions are checked when made, not only on delivery: Mosquitto 2.0 hands a member of a shared
 * group its share of the messages and then drops those it may not read, so a collector able to join
 * `$share/vigil-ingest` would make ingest lose part of the stream (see README "Broker security").
 */
import { ANY_TENANT, deadLetterTopic, eventsFilter, ingestSubscription } from './topics';
import { filterCovers, topicMatches } from './topic-filter';

/** A collector always has its tenant; an operator without one is the global operator. */
export type BrokerIdentity =
  | { username: string; role: 'collector'; tenant: string }
  | { username: string; role: 'ingest' }
  | { username: string; role: 'operator'; tenant?: string };

/** publish: client → broker; subscribe: SUBSCRIBE accepted; receive: broker → client delivery. */
export type BrokerAccess = 'publish' | 'subscribe' | 'receive';

export interface Grant {
  access: BrokerAccess;
  /** A topic filter: the topics (publish, receive) or the filters it covers (subscribe). */
  filter: string;
}

export const INGEST_USERNAME = 'ingest';
export const OPERATOR_USERNAME = 'operator';

export function collectorUsername(tenant: string): string {
  return `collector.${tenant}`;
}

export function tenantOperatorUsername(tenant: string): string {
  return `operator.${tenant}`;
}

/** The identities of a deployment serving `tenants`: one ingest, one global operator, a collector and an operator per tenant. */
export function brokerIdentities(tenants: readonly string[]): BrokerIdentity[] {
  return [
    { username: INGEST_USERNAME, role: 'ingest' },
    { username: OPERATOR_USERNAME, role: 'operator' },
    ...tenants.flatMap((tenant): BrokerIdentity[] => [
      { username: collectorUsername(tenant), role: 'collector', tenant },
      { username: tenantOperatorUsername(tenant), role: 'operator', tenant },
    ]),
  ];
}

/** What `identity` may do; `shareGroup` is ingest's MQTT 5 shared-subscription group ('' = none). */
export function grantsFor(identity: BrokerIdentity, shareGroup: string): Grant[] {
  switch (identity.role) {
    case 'collector':
      return [{ access: 'publish', filter: eventsFilter(identity.tenant) }];
    case 'ingest': {
      const subscriptions = [...new Set([ingestSubscription(''), ingestSubscription(shareGroup)])];
      return [
        ...subscriptions.map((filter): Grant => ({ access: 'subscribe', filter })),
        { access: 'receive', filter: eventsFilter(ANY_TENANT) },
        { access: 'publish', filter: deadLetterTopic(ANY_TENANT) },
      ];
    }
    case 'operator': {
      const letters = deadLetterTopic(identity.tenant ?? ANY_TENANT);
      return [
        { access: 'subscribe', filter: letters },
        { access: 'receive', filter: letters },
      ];
    }
  }
}

/** Whether `grants` allow `access` on `topic` (for subscribe: on the requested filter). */
export function isAllowed(grants: readonly Grant[], access: BrokerAccess, topic: string): boolean {
  const applies = access === 'subscribe' ? filterCovers : topicMatches;
  return grants.some((g) => g.access === access && applies(g.filter, topic));
}
