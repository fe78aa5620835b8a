/**
 * The correlator's state stays bounded under an alert storm nobody triages, so its continue-as-new payload
 * (msgpack, as the data converter writes it) stays under Temporal's 2 MiB limit: a larger one would make
 * continue-as-new fail and the correlator stop. Pure: EntityState and the correlation core, as one workflow
 * activation runs them, without a server.
 */
import { correlate, raisesOwnAlert } from '../../src/correlation';
import type { Detection } from '../../src/model/detection';
import { parseCorrelationRule } from '../../src/sigma/correlation-rule';
import { payloadPackr } from '../../src/temporal/payload-converter';
import { correlateOptionsFor, defaultCorrelatorSettings } from '../../workflows/correlator/correlator';
import { parseDuration } from '../../src/model/duration';
import { EntityState, emptyCarriedState } from '../../workflows/correlator/entity-state';
import { ruleRef } from './test-rules';

const host = { type: 'host' as const, id: 'storm-1' };
const start = 1_790_000_000_000;

function newState(): EntityState {
  const s = defaultCorrelatorSettings;
  return new EntityState('acme', host, 'entity:acme:host:storm-1', s, parseDuration(s.suppressFor), parseDuration(s.riskHalfLife), (id) => `http://ui/${id}`, emptyCarriedState(start));
}

function stormDetection(i: number, users: number): Detection {
  const user = `user-${(i * 7919) % users}`;
  return {
    eventId: `9f3c2d4e-${i.toString(16).padStart(8, '0')}-4a1b-8c2d-0123456789ab`,
    tenant: 'acme',
    source: 'process',
    time: start + i * 10,
    rules: i % 50 === 0 ? [ruleRef('t_recon'), ruleRef('t_exec')] : [ruleRef('t_recon')],
    entities: [host],
    fields: { Hostname: host.id, User: user, CommandLine: `/usr/bin/id -a ${user}` },
    summary: `${user}@${host.id}: /usr/bin/id -a`,
    rulesetVersion: '3f9a0c1d2e4b5a69',
  };
}

test('an alert storm keeps every bound and the carried state under the 2 MiB payload limit; de-duplication still holds', () => {
  // One alert per user every three recon events: 2,500 alerting groups.
  const rules = [
    parseCorrelationRule(
      { title: 'Storm', id: 'storm', level: 'medium', correlation: { type: 'event_count', rules: ['t_recon'], 'group-by': ['Hostname', 'User'], timespan: '10m', condition: { gte: 3 } } },
      () => ({}),
    ),
  ];
  const state = newState();
  const options = correlateOptionsFor(defaultCorrelatorSettings);
  const run = (detections: Detection[], batchId: string, now: number) => {
    state.enqueue({ batchId, detections });
    const applied = state.applyDetections(state.takePending(), now, 'high', new Set());
    const result = correlate(state.correlation(), applied.fresh, rules, options);
    const raised = applied.alerts.length + state.applyHits(result.hits, now, (hit) => raisesOwnAlert(hit.rule, rules)).length;
    state.pruneSuppressions(now);
    return raised;
  };
  let raised = 0;
  const total = 30_000;
  for (let i = 0; i < total; i += 100) {
    const batch = Array.from({ length: 100 }, (_, j) => stormDetection(i + j, 2_500));
    raised += run(batch, `5be0c8a1d2e3f4a5b6c7d8e9${i.toString(16).padStart(8, '0')}`, batch[99]!.time);
  }
  const carried = state.toCarried();
  expect(raised).toBeGreaterThan(2_500);
  expect(state.openAlerts()).toHaveLength(200);
  expect(carried.overflowClosedAlerts).toBe(raised - 200);
  expect(carried.alerts.length).toBeLessThanOrEqual(250);
  expect(carried.seenEvents.length).toBe(10_000);
  expect(Object.keys(carried.suppressedUntil).length).toBeLessThanOrEqual(5_000);
  expect(payloadPackr.pack(carried).length).toBeLessThan(2 * 1024 * 1024);

  // The last detections again, under a new batch id: fingerprinted keys still recognise them.
  const eventCount = carried.eventCount;
  const again = Array.from({ length: 100 }, (_, j) => stormDetection(total - 100 + j, 2_500));
  expect(run(again, 'redelivered', again[99]!.time + 1)).toBe(0);
  expect(state.toCarried().eventCount).toBe(eventCount);
});
