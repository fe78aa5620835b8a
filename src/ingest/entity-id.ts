/**
 * Entity ids come from event fields (a hostname, a user ARN, a pod name, a correlation's group values), so their
 * length is whatever the event says. Each id becomes part of a workflow id (`entity:{tenant}:{type}:{id}`, which
 * Temporal refuses beyond 1,000 bytes) and of every detection the correlator validates (EntityRefSchema: 512), so
 * one event with an oversized field would otherwise never reach a correlator: a way to blind detection for that
 * entity. Longer ids are cut and suffixed with a hash of the whole id.
 *
 * Invariants: the result is at most MAX_ENTITY_ID_LENGTH characters; ids within the bound are unchanged; the same id
 * always bounds to the same result and two different long ids to different ones (up to a 64-bit hash collision);
 * the prefix is kept, so a group id still starts with its correlation id.
 */
import { createHash } from 'node:crypto';

export const MAX_ENTITY_ID_LENGTH = 256;
const HASH_CHARS = 16;

export function boundEntityId(id: string): string {
  if (id.length <= MAX_ENTITY_ID_LENGTH) return id;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, HASH_CHARS);
  return `${id.slice(0, MAX_ENTITY_ID_LENGTH - HASH_CHARS - 1)}~${hash}`;
}
