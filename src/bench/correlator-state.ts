/**
 * The correlator workflow's own state work, without Temporal: detections/s through what one workflow
 * activation does per batch (EntityState de-duplication, timeline, risk, alerts and suppression, then the
 * correlation core and hits → alerts), and the size of the continue-as-new payload (msgpack, as the data
 * converter writes it) once every bound of the state is saturated, against Temporal's 2 MiB payload limit:
 * a carried state over it would make continue-as-new fail and the correlator stop.
 *
 *   correlator.state_events_per_sec          one host, batches of 100, 5,000 users behind one correlation group-by
 *   correlator.carried_state_kib             msgpack size of toCarried() after 60,000 detections (all bounds saturated)
 *   correlator.carried_state_of_limit_pct    that size as a percentage of the 2 MiB payload limit
 *   correlator.open_alerts_carried           open alerts in that state (bounded by MAX_OPEN_ALERTS)
 *   correlator.state_alerts_raised           alerts raised on the way
 * `--quick` changes nothing: fewer detections would not saturate the bounds the payload figure is about.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { benchFigure, type BenchFigure } from './support/bench-figure';
import { correlate, raisesOwnAlert } from '../correlation';
import type { Detection, RuleRef } from '../model/detection';
import { parseDuration } from '../model/duration';
import { parseCorrelationRule } from '../sigma/correlation-rule';
import { payloadPackr } from '../temporal/payload-converter';
import { correlatorLink, defaultUiBaseUrl } from '../contracts/correlator/ui-link';
import { correlateOptionsFor, defaultCorrelatorSettings } from '../../workflows/correlator/correlator';
import { EntityState, emptyCarriedState } from '../../workflows/correlator/entity-state';

const DETECTIONS = 60_000;
const BATCH = 100;
const USERS = 5_000;
const PAYLOAD_LIMIT = 2 * 1024 * 1024;

const recon: RuleRef = { id: '0b1e7a52-bench-0001', name: 'bench_recon', title: 'Bench recon', level: 'low', tags: ['attack.discovery', 'attack.t1082'] };
const exec: RuleRef = { id: '0b1e7a52-bench-0002', name: 'bench_exec', title: 'Bench exec', level: 'high', tags: ['attack.execution', 'attack.t1059'] };

function detections(start: number): Detection[] {
  const out: Detection[] = [];
  for (let i = 0; i < DETECTIONS; i++) {
    const user = `user-${(i * 7919) % USERS}`;
    out.push({
      eventId: `9f3c2d4e-${i.toString(16).padStart(8, '0')}-4a1b-8c2d-bench`,
      tenant: 'bench',
      source: 'process',
      time: start + i * 10,
      rules: i % 50 === 0 ? [recon, exec] : [recon],
      entities: [{ type: 'host', id: 'web-1' }],
      fields: { Hostname: 'web-1', User: user, CommandLine: `/usr/bin/id -a ${user}`, ParentImage: '/bin/bash', ProcessId: 4000 + (i % 1000) },
      summary: `${user}@web-1: /usr/bin/id -a`,
      rulesetVersion: '3f9a0c1d2e4b5a69',
    });
  }
  return out;
}

export async function run(logger: Logger): Promise<BenchFigure[]> {
  const rules = [
    parseCorrelationRule(
      { title: 'Bench burst per user', id: 'bench-burst', correlation: { type: 'event_count', rules: ['bench_recon'], 'group-by': ['Hostname', 'User'], timespan: '10m', condition: { gte: 3 } }, level: 'medium' },
      () => ({}),
    ),
  ];
  const settings = defaultCorrelatorSettings;
  const start = 1_790_000_000_000;
  const state = new EntityState(
    'bench',
    { type: 'host', id: 'web-1' },
    'entity:bench:host:web-1',
    settings,
    parseDuration(settings.suppressFor),
    parseDuration(settings.riskHalfLife),
    (id) => correlatorLink(defaultUiBaseUrl, 'default', id),
    emptyCarriedState(start),
  );
  const options = correlateOptionsFor(settings);
  const input = detections(start);
  let alerts = 0;
  const began = performance.now();
  for (let i = 0; i < input.length; i += BATCH) {
    const batch = input.slice(i, i + BATCH);
    state.enqueue({ batchId: `5be0c8a1d2e3f4a5b6c7d8e9${i.toString(16).padStart(8, '0')}`, detections: batch });
    const taken = state.takePending();
    const now = batch[batch.length - 1]!.time;
    const applied = state.applyDetections(taken, now, 'high', new Set());
    const result = correlate(state.correlation(), applied.fresh, rules, options);
    alerts += applied.alerts.length + state.applyHits(result.hits, now, (hit) => raisesOwnAlert(hit.rule, rules)).length;
    state.pruneSuppressions(now);
  }
  const seconds = (performance.now() - began) / 1000;
  const carriedBytes = payloadPackr.pack(state.toCarried()).length;
  const load = `${DETECTIONS} detections on one host in batches of ${BATCH}, ${USERS} users behind one event_count correlation, no Temporal`;
  const figures = [
    benchFigure('correlator.state_events_per_sec', Math.round(input.length / seconds), 'events/s', load),
    benchFigure('correlator.state_alerts_raised', alerts, 'alerts', load),
    benchFigure('correlator.open_alerts_carried', state.openAlerts().length, 'alerts', `${load}; carried into continue-as-new`),
    benchFigure('correlator.carried_state_kib', Math.round(carriedBytes / 1024), 'KiB', `${load}; toCarried() as msgpack`),
    benchFigure('correlator.carried_state_of_limit_pct', (carriedBytes / PAYLOAD_LIMIT) * 100, '%', `${load}; of the 2 MiB payload limit`),
  ];
  logger.info({ figures }, 'correlator state');
  return figures;
}
