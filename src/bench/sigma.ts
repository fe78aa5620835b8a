/**
 * Sigma matcher throughput, events per CPU second (one thread, synchronous `match`).
 * Rule sets: every SigmaHQ corpus rule plus Vigil's pack ("all"), and the first 100 of them in path
 * order ("100"); each source only evaluates the rules routed to it (reported as `*_routed_rules`).
 * Streams: CloudTrail = the Stratus Red Team detonation logs replayed; k8s audit = the Falco traces
 * replayed; process = synthetic process_creation events (common admin commands with some attacker
 * ones mixed in); no-match = CloudTrail and k8s events no rule can match (data-plane reads).
 * Figures `sigma.match_events_per_sec_per_core` (one per stream and rule set, told apart by load),
 * `sigma.routed_rules`, `sigma.indexed_rules`, `sigma.hits_per_1k_events`, `sigma.rules_loaded`.
 * (`matcher.events_per_sec_per_core` is the whole `rules eval` path, the matcher benchmark's.)
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SourceKind } from '../model/source';
import { CompiledRuleSet, loadRuleSet } from '../sigma';
import { projectRoot } from '../project-root';
import { eventsIn, processEvents } from './support/corpus-events';
import { benchFigure, type BenchFigure, type BenchOptions } from './support/bench-figure';

const EVENTS_PER_RUN = { full: 400_000, quick: 40_000 };

function noMatchEvents(): { source: SourceKind; events: unknown[] }[] {
  const cloudtrail = Array.from({ length: 50 }, (_, i) => ({
    eventVersion: '1.08',
    eventSource: 'dynamodb.amazonaws.com',
    eventName: i % 2 ? 'PutItem' : 'UpdateItem',
    awsRegion: 'eu-west-1',
    eventID: `nomatch-${i}`,
    sourceIPAddress: '10.0.0.1',
    userAgent: 'aws-sdk-go-v2/1.24.0',
    userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::123456789012:assumed-role/app/i-${i}` },
    requestParameters: { tableName: 'orders' },
  }));
  const k8s = Array.from({ length: 50 }, (_, i) => ({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `nomatch-${i}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/default/configmaps/app-${i}`,
    verb: 'get',
    user: { username: 'system:serviceaccount:default:app', groups: ['system:serviceaccounts'] },
    sourceIPs: ['10.0.0.2'],
    userAgent: 'app/1.0',
    objectRef: { resource: 'configmaps', namespace: 'default', name: `app-${i}`, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
  }));
  return [
    { source: 'cloudtrail', events: cloudtrail },
    { source: 'k8s_audit', events: k8s },
  ];
}

/**
 * Events per CPU second of `match` over `events` replayed to `count`: CPU time (not wall
 * time) so other processes on the machine do not distort the per-core figure; best of 3 runs
 * after a warm-up pass.
 */
function throughput(ruleSet: CompiledRuleSet, source: SourceKind, events: unknown[], count: number): { rate: number; hits: number } {
  for (let i = 0; i < 50_000; i++) ruleSet.match(events[i % events.length], source);
  let best = 0;
  let hits = 0;
  for (let run = 0; run < 3; run++) {
    hits = 0;
    const start = process.cpuUsage();
    for (let i = 0; i < count; i++) hits += ruleSet.match(events[i % events.length], source).length;
    const used = process.cpuUsage(start);
    best = Math.max(best, count / ((used.user + used.system) / 1e6));
  }
  return { rate: Math.round(best), hits };
}

export async function run(logger: Logger, options: BenchOptions): Promise<BenchFigure[]> {
  const count = options.quick ? EVENTS_PER_RUN.quick : EVENTS_PER_RUN.full;
  const root = projectRoot;
  const corpus = join(root, 'test', 'corpus');
  const placeholdersFile = join(root, 'rules', 'sigma-config', 'placeholders.yml');
  const { ruleSet: all, errors } = await loadRuleSet([join(corpus, 'sigmahq'), join(root, 'rules')], { placeholdersFile, logger });
  if (errors.length > 0) logger.warn({ errors: errors.map((e) => e.message) }, 'rule load problems (benchmark continues with the rules that loaded)');
  const first100 = new CompiledRuleSet(`${all.version}-100`, all.rules.slice(0, 100), []);

  const streams: { name: string; source: SourceKind; events: unknown[] }[] = [
    { name: 'cloudtrail', source: 'cloudtrail', events: await eventsIn(join(corpus, 'stratus-red-team', 'docs', 'detonation-logs')) },
    { name: 'k8s_audit', source: 'k8s_audit', events: await eventsIn(join(corpus, 'falco-k8s-audit', 'test', 'trace_files', 'k8s_audit')) },
    { name: 'process', source: 'process', events: processEvents() },
    ...noMatchEvents().map((s) => ({ name: `nomatch_${s.source}`, ...s })),
  ];

  const rulesLoad = 'SigmaHQ corpus rules and Vigil\'s pack';
  const figures: BenchFigure[] = [benchFigure('sigma.rules_loaded', all.rules.length, 'rules', rulesLoad)];
  for (const s of streams) {
    for (const [label, ruleSet] of [['all', all], ['100', first100]] as const) {
      const { rate, hits } = throughput(ruleSet, s.source, s.events, count);
      const stats = ruleSet.indexStats(s.source);
      const load = `${s.name}: ${s.events.length} events replayed to ${count}, ${label === 'all' ? rulesLoad : `the first 100 of ${rulesLoad}`}; best of 3, one thread, match only`;
      figures.push(benchFigure('sigma.match_events_per_sec_per_core', rate, 'events/s', load), benchFigure('sigma.routed_rules', stats.rules, 'rules', load));
      if (label === 'all') figures.push(benchFigure('sigma.indexed_rules', stats.indexed, 'rules', load), benchFigure('sigma.hits_per_1k_events', Math.round((hits / count) * 1000), 'hits', load));
    }
  }
  logger.info({ figures: figures.length }, 'sigma matcher benchmark');
  return figures;
}
