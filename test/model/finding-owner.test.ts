/** The ownership rule: the most specific entity a detection names owns its alert (src/model/finding-owner.ts). */
import { entityTypes, type EntityRef } from '../../src/model/entity';
import { findingEntities, findingOwner, ownershipOrder } from '../../src/model/finding-owner';

const pod: EntityRef = { type: 'pod', id: 'shop/web-1' };
const host: EntityRef = { type: 'host', id: 'node-a' };
const user: EntityRef = { type: 'user', id: 'node-a/root' };
const ip: EntityRef = { type: 'ip', id: '203.0.113.7' };
const account: EntityRef = { type: 'account', id: '111122223333' };
const group: EntityRef = { type: 'group', id: 'corr|x' };

test('the order covers every entity type once, most specific first', () => {
  expect(ownershipOrder).toEqual(['pod', 'host', 'user', 'ip', 'account', 'group']);
  expect([...ownershipOrder].sort()).toEqual([...entityTypes].sort());
});

test.each<[string, EntityRef[], EntityRef | undefined]>([
  ['pod over host and user, wherever named', [user, host, pod], pod],
  ['host over user', [user, host], host],
  ['user over account (CloudTrail)', [account, user], user],
  ['ip over account', [account, ip], ip],
  ['account over a keyed group', [group, account], account],
  ['a keyed group when nothing else is named', [group], group],
  ['the first named of two of the same type', [{ type: 'host', id: 'b' }, { type: 'host', id: 'a' }, user], { type: 'host', id: 'b' }],
  ['nobody when nothing is named', [], undefined],
])('%s', (_what, named, owner) => {
  expect(findingOwner(named)).toEqual(owner);
});

test('a finding lists each entity once, the owner first, the others in the order named', () => {
  expect(findingEntities(pod, [user, host, pod, user])).toEqual([pod, user, host]);
  expect(findingEntities(host, [])).toEqual([host]);
});
