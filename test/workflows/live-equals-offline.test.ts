/**
 * The live correlator and `vigil rules eval`'s offline pass run the same core, so they must agree: a seeded
 * stream of detections for two hosts goes through the real ingest router (signal-with-start, batched) to the
 * real correlators, and each host's correlation and absence alerts equal `correlateOffline`'s hits for that
 * host's detections. Repeat-alert suppression is off (suppressFor 0s) so every hit becomes an alert.
 */
import { correlateOffline, raisesOwnAlert } from '../../src/correlation';
import { EntityRouter } from '../../src/ingest/entity-router';
import type { Detection } from '../../src/model/detection';
import type { EntityRef } from '../../src/model/entity';
import { sharedTemporalAddress } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { startCorrelatorHarness, type CorrelatorHarness } from './correlator-harness';
import { correlationIds, type TestRuleName } from './test-rules';

let h: CorrelatorHarness;

beforeAll(async () => {
  h = await startCorrelatorHarness('live', sharedTemporalAddress());
});

afterAll(async () => {
  await h?.close();
});

/** mulberry32: a small seeded PRNG, so the stream is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Compared {
  rule: string;
  group: Record<string, string>;
  firstSeen: number;
  lastSeen: number;
  eventCount: number;
  eventIds: string[];
}

const order = (a: Compared, b: Compared): number => a.lastSeen - b.lastSeen || a.rule.localeCompare(b.rule) || JSON.stringify(a.group).localeCompare(JSON.stringify(b.group));

test('live correlator alerts equal correlateOffline hits for the same detections', async () => {
  const hosts: EntityRef[] = [{ type: 'host', id: 'live-1' }, { type: 'host', id: 'live-2' }];
  const settings = { suppressFor: '0s', allowedLateness: '1m' };
  for (const host of hosts) await h.start(host, settings);

  const random = seeded(20261126);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const mix: TestRuleName[] = ['t_recon', 't_recon', 't_recon', 't_recon', 't_login', 't_login', 't_priv', 't_priv', 't_a', 't_b', 't_exec'];
  const stream: Detection[] = [];
  let t = Date.now() - 3 * 3_600_000;
  for (let i = 0; i < 240; i++) {
    t += Math.floor(random() * 3_000);
    stream.push(h.det(`${h.tenant}-d${i}`, pick(mix), pick(hosts), t, pick(['alice', 'bob', 'carol'])));
  }
  // Half an hour later in event time, one event per host decides every absence still waiting.
  for (const host of hosts) stream.push(h.det(`${h.tenant}-end-${host.id}`, 't_noise', host, t + 30 * 60_000));

  const router = new EntityRouter(h.client, testLogger, { maxDelayMs: 0 });
  for (let i = 0; i < stream.length; i += 8) await router.route(h.tenant, stream.slice(i, i + 8));

  const rules = h.rules.routing().rulesFor(hosts[0]!);
  const hitRules = new Set<string>();
  for (const host of hosts) {
    const mine = stream.filter((d) => d.entities[0]!.id === host.id);
    const view = await h.stateWhen(host, (v) => v.eventCount === mine.length, `${host.id}: every detection applied`);
    const live: Compared[] = view.openAlerts
      .filter((a) => a.kind !== 'detection')
      .map((a) => ({ rule: a.rule.id, group: a.group, firstSeen: a.firstSeen, lastSeen: a.lastSeen, eventCount: a.eventCount, eventIds: a.events.map((e) => e.id) }));
    const offline: Compared[] = correlateOffline(rules, mine)
      .filter((hit) => raisesOwnAlert(hit.rule, rules))
      .map((hit) => ({ rule: hit.rule.id, group: hit.group, firstSeen: hit.firstSeen, lastSeen: hit.lastSeen, eventCount: hit.eventCount, eventIds: hit.eventIds.slice(-20) }));
    expect(live.sort(order)).toEqual(offline.sort(order));
    for (const c of offline) hitRules.add(c.rule);
  }
  // The stream exercises every correlation type in the rule set.
  expect([...hitRules].sort()).toEqual(Object.values(correlationIds).sort());
});
