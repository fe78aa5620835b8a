/**
 * The broker policy decided without a broker: the isolation table, the topic-filter semantics it rests on
 * (Mosquitto's, so both brokers agree), and that a subscription is granted only where delivery is too.
 */
import { brokerIdentities, grantsFor, isAllowed } from '../../src/mqtt/broker-policy';
import { filterCovers, topicMatches } from '../../src/mqtt/topic-filter';
import { accessTable, TABLE_SHARE_GROUP, TABLE_TENANTS } from './access-table';

const identities = new Map(brokerIdentities(TABLE_TENANTS).map((i) => [i.username, i]));

test.each(accessTable)('%s %s %s → allowed %s', (username, access, topic, allowed) => {
  expect(isAllowed(grantsFor(identities.get(username)!, TABLE_SHARE_GROUP), access, topic)).toBe(allowed);
});

test('the identities of a deployment: ingest, the global operator, and a collector and an operator per tenant', () => {
  expect([...identities.keys()]).toEqual(['ingest', 'operator', 'collector.acme', 'operator.acme', 'collector.globex', 'operator.globex']);
});

test('without a share group ingest may not subscribe to any $share group', () => {
  const ingest = grantsFor(identities.get('ingest')!, '');
  expect(isAllowed(ingest, 'subscribe', 'vigil/v1/+/events/+')).toBe(true);
  expect(isAllowed(ingest, 'subscribe', '$share/vigil-ingest/vigil/v1/+/events/+')).toBe(false);
});

test('every filter an identity may subscribe to delivers only topics it may receive', () => {
  for (const identity of identities.values()) {
    const grants = grantsFor(identity, TABLE_SHARE_GROUP);
    for (const sub of grants.filter((g) => g.access === 'subscribe')) {
      const filter = sub.filter.replace(/^\$share\/[^/]+\//, '');
      const sample = filter.replace(/\+/g, 'acme');
      expect([identity.username, sub.filter, isAllowed(grants, 'receive', sample)]).toEqual([identity.username, sub.filter, true]);
    }
  }
});

test.each([
  ['vigil/v1/+/events/+', 'vigil/v1/acme/events/falco', true],
  ['vigil/v1/+/events/+', 'vigil/v1/acme/events', false],
  ['vigil/v1/+/events/+', 'vigil/v1/acme/events/falco/x', false],
  ['vigil/v1/#', 'vigil/v1', true],
  ['vigil/v1/#', 'vigil/v1/a/b/c', true],
  ['#', '$SYS/broker/uptime', false],
  ['+/v1/acme/deadletter', '$share/v1/acme/deadletter', false],
  ['vigil/v1/acme/deadletter', 'vigil/v1/acme/deadletter', true],
])('topicMatches(%s, %s) = %s', (filter, topic, expected) => {
  expect(topicMatches(filter, topic)).toBe(expected);
});

// Rows mirror Mosquitto 2.0's sub_acl_check (plugins/dynamic-security/sub_matches_sub.c).
test.each([
  ['vigil/v1/+/deadletter', 'vigil/v1/acme/deadletter', true],
  ['vigil/v1/+/deadletter', 'vigil/v1/+/deadletter', true],
  ['vigil/v1/acme/deadletter', 'vigil/v1/+/deadletter', false],
  ['vigil/v1/#', 'vigil/v1/#', true],
  ['vigil/v1/#', 'vigil/v1', true],
  ['vigil/v1/+', 'vigil/v1/#', false],
  ['#', '$share/g/anything/#', true],
  ['+/#', '#', true],
  ['vigil/v1/+/events/+', '$share/g/vigil/v1/+/events/+', false],
  ['$share/g/vigil/v1/+/events/+', '$share/h/vigil/v1/+/events/+', false],
])('filterCovers(%s, %s) = %s', (pattern, requested, expected) => {
  expect(filterCovers(pattern, requested)).toBe(expected);
});
