/**
 * The isolation rules as a table, for tenants acme and globex with ingest's share group `vigil-ingest`:
 * one row per (identity, access, topic or filter) and whether it is allowed. The policy module is checked
 * against it directly, and each broker (real Mosquitto with the generated configuration, the embedded
 * aedes broker) by doing what each row says.
 */
import type { BrokerAccess } from '../../src/mqtt/broker-policy';

export const TABLE_TENANTS = ['acme', 'globex'];
export const TABLE_SHARE_GROUP = 'vigil-ingest';

export type AccessRow = [username: string, access: Exclude<BrokerAccess, 'receive'>, topic: string, allowed: boolean];

export const accessTable: AccessRow[] = [
  // A collector publishes its own tenant's events, and does nothing else.
  ['collector.acme', 'publish', 'vigil/v1/acme/events/k8s_audit', true],
  ['collector.acme', 'publish', 'vigil/v1/globex/events/k8s_audit', false],
  ['collector.acme', 'publish', 'vigil/v1/acme/deadletter', false],
  ['collector.acme', 'publish', 'vigil/v1/acme/events/k8s_audit/extra', false],
  ['collector.acme', 'subscribe', 'vigil/v1/acme/events/+', false],
  ['collector.acme', 'subscribe', 'vigil/v1/#', false],
  ['collector.acme', 'subscribe', '#', false],
  ['collector.acme', 'subscribe', 'vigil/v1/acme/deadletter', false],
  ['collector.acme', 'subscribe', '$share/vigil-ingest/vigil/v1/+/events/+', false],
  // Ingest alone reads events (and so alone joins the share group) and writes dead letters.
  ['ingest', 'subscribe', '$share/vigil-ingest/vigil/v1/+/events/+', true],
  ['ingest', 'subscribe', 'vigil/v1/+/events/+', true],
  ['ingest', 'subscribe', 'vigil/v1/acme/events/+', true],
  ['ingest', 'subscribe', 'vigil/v1/+/deadletter', false],
  ['ingest', 'subscribe', 'vigil/v1/#', false],
  ['ingest', 'publish', 'vigil/v1/globex/deadletter', true],
  ['ingest', 'publish', 'vigil/v1/acme/events/k8s_audit', false],
  // A tenant's operator reads that tenant's dead letters only; the global operator every tenant's.
  ['operator.acme', 'subscribe', 'vigil/v1/acme/deadletter', true],
  ['operator.acme', 'subscribe', 'vigil/v1/globex/deadletter', false],
  ['operator.acme', 'subscribe', 'vigil/v1/+/deadletter', false],
  ['operator.acme', 'subscribe', '$share/ops/vigil/v1/acme/deadletter', false],
  ['operator.acme', 'subscribe', 'vigil/v1/acme/events/+', false],
  ['operator.acme', 'publish', 'vigil/v1/acme/events/k8s_audit', false],
  ['operator.acme', 'publish', 'vigil/v1/acme/deadletter', false],
  ['operator', 'subscribe', 'vigil/v1/+/deadletter', true],
  ['operator', 'subscribe', 'vigil/v1/globex/deadletter', true],
  ['operator', 'subscribe', 'vigil/v1/+/events/+', false],
];

/** The table for a deployment whose ingest has no share group (the embedded broker): nobody may join any `$share` group. */
export function withoutShareGroup(rows: readonly AccessRow[]): AccessRow[] {
  return rows.map(([username, access, topic, allowed]) => [username, access, topic, allowed && !topic.startsWith('$share/')]);
}
