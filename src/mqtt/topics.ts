/**
 * Vigil's MQTT topic scheme, versioned so the wire can evolve:
 *   vigil/v1/{tenant}/events/{source}   collectors → ingest (msgpack EventBatch, QoS 1)
 *   vigil/v1/{tenant}/deadletter        ingest → operators (JSON DeadLetter, QoS 1)
 */
import { SourceKindSchema, type SourceKind } from '../model/source';

export const TOPIC_PREFIX = 'vigil/v1';
/** Dead letters whose topic names no tenant we accept go here, so a bad topic cannot create new topics. */
export const UNATTRIBUTED_TENANT = '_unattributed';

export function eventsTopic(tenant: string, source: SourceKind): string {
  return `${TOPIC_PREFIX}/${tenant}/events/${source}`;
}

export function deadLetterTopic(tenant: string): string {
  return `${TOPIC_PREFIX}/${tenant}/deadletter`;
}

/** In a topic filter: any one tenant. */
export const ANY_TENANT = '+';

/** Every source's events of one tenant (or of all, with ANY_TENANT). */
export function eventsFilter(tenant: string): string {
  return `${TOPIC_PREFIX}/${tenant}/events/+`;
}

/** The ingest subscription; with a share group, brokers split messages across ingest instances (MQTT 5). */
export function ingestSubscription(shareGroup: string): string {
  const filter = eventsFilter(ANY_TENANT);
  return shareGroup ? `$share/${shareGroup}/${filter}` : filter;
}

export type ParsedEventsTopic =
  | { ok: true; tenant: string; source: SourceKind }
  | { ok: false; tenant?: string; reason: string };

export function parseEventsTopic(topic: string, tenants: readonly string[]): ParsedEventsTopic {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_PREFIX || parts[3] !== 'events') {
    return { ok: false, reason: `topic ${topic} is not ${TOPIC_PREFIX}/{tenant}/events/{source}` };
  }
  const tenant = parts[2]!;
  if (!tenants.includes(tenant)) return { ok: false, reason: `unknown tenant '${tenant}' in topic ${topic}` };
  const source = SourceKindSchema.safeParse(parts[4]);
  if (!source.success) {
    return { ok: false, tenant, reason: `unknown source '${parts[4]}' in topic ${topic}; expected one of ${SourceKindSchema.options.join(', ')}` };
  }
  return { ok: true, tenant, source: source.data };
}
