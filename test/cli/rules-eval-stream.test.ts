/**
 * `vigil rules eval` reads its input as a stream: every layout (NDJSON, JSON array, CloudTrail Records,
 * k8s EventList, gzip, raw auditd logs, standard input) gives the hits of matching each event on its
 * own, bad records are reported where they are and skipped, and the parsed-rule cache follows the
 * rules it was made from.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { AuditdDecoder } from '../../src/collect/auditd-decoder';
import { evalRules } from '../../src/cli/rules-eval';
import type { SourceKind } from '../../src/model/source';
import { loadRuleSet } from '../../src/sigma';
import { falcoTraces, jsonFiles, sigmaHqRules, stratusLogs } from '../sigma/corpus-paths';
import { vigilMain } from '../helpers/vigil-process';

const silent = pino({ level: 'silent' });
const cloudtrailRules = join(sigmaHqRules, 'rules', 'cloud', 'aws', 'cloudtrail');
const k8sRules = join(sigmaHqRules, 'rules', 'application', 'kubernetes', 'audit');
const auditdRules = join(sigmaHqRules, 'rules', 'linux', 'auditd');

const tmp = () => mkdtempSync(join(tmpdir(), 'vigil-eval-stream-'));
type Hit = [rule: string, index: number, id: string];

/** What matching each event on its own gives: the hits eval must report, whatever the file layout. */
async function expectedHits(rules: string, source: SourceKind, events: readonly unknown[], idField: string): Promise<Hit[]> {
  const { ruleSet } = await loadRuleSet([rules]);
  return events.flatMap((e, index) => ruleSet.match(e, source).map((r): Hit => [r.id, index, String((e as Record<string, unknown>)[idField] ?? index)]));
}

async function evalHits(options: { rules: string; events: string; source?: string }): Promise<Hit[]> {
  const lines: string[] = [];
  await evalRules({ ...options, rules: [options.rules] }, (l) => lines.push(l), silent);
  return lines.map((l) => JSON.parse(l) as { rule: { id: string }; event: { index: number; id: string } }).map((h): Hit => [h.rule.id, h.event.index, h.event.id]);
}

describe('every layout streams to the same hits', () => {
  const cloudtrail = jsonFiles(stratusLogs).flatMap((f) => JSON.parse(readFileSync(f, 'utf8')) as unknown[]);
  const k8s = jsonFiles(falcoTraces).flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown));
  const ndjson = (events: readonly unknown[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';

  const cloudtrailLayouts: [string, (events: unknown[]) => string | Buffer][] = [
    ['NDJSON', ndjson],
    ['NDJSON, CRLF, no final newline', (events) => events.map((e) => JSON.stringify(e)).join('\r\n')],
    ['pretty JSON array', (events) => JSON.stringify(events, null, 2)],
    ['one-line CloudTrail Records', (events) => JSON.stringify({ Records: events })],
    ['pretty CloudTrail Records', (events) => JSON.stringify({ Records: events }, null, 4)],
    ['gzip CloudTrail Records', (events) => gzipSync(JSON.stringify({ Records: events }))],
    ['gzip NDJSON in two gzip members', (events) => Buffer.concat([gzipSync(ndjson(events.slice(0, 40))), gzipSync(ndjson(events.slice(40)))])],
  ];

  test.each(cloudtrailLayouts)('CloudTrail as %s', async (_, layout) => {
    const file = join(tmp(), 'events');
    writeFileSync(file, layout(cloudtrail));
    const expected = await expectedHits(cloudtrailRules, 'cloudtrail', cloudtrail, 'eventID');
    expect(expected.length).toBeGreaterThan(10);
    expect(await evalHits({ rules: cloudtrailRules, events: file, source: 'cloudtrail' })).toEqual(expected);
  });

  test('the source is detected from the first record of a stream (Records, EventList, NDJSON)', async () => {
    const dir = tmp();
    const eventList = join(dir, 'eventlist.json');
    writeFileSync(eventList, JSON.stringify({ apiVersion: 'audit.k8s.io/v1', kind: 'EventList', metadata: {}, items: k8s }, null, 2));
    const expectedK8s = await expectedHits(k8sRules, 'k8s_audit', k8s, 'auditID');
    expect(expectedK8s.length).toBeGreaterThan(10);
    expect(await evalHits({ rules: k8sRules, events: eventList })).toEqual(expectedK8s);
    const k8sNdjson = join(dir, 'audit.log');
    writeFileSync(k8sNdjson, ndjson(k8s));
    expect(await evalHits({ rules: k8sRules, events: k8sNdjson })).toEqual(expectedK8s);
    const records = join(dir, 'trail.json.gz');
    writeFileSync(records, gzipSync(JSON.stringify({ Records: cloudtrail })));
    expect(await evalHits({ rules: cloudtrailRules, events: records })).toEqual(await expectedHits(cloudtrailRules, 'cloudtrail', cloudtrail, 'eventID'));
  });

  test('raw auditd logs (plain and gzip) give the hits of the collector decoder records', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      const serial = 1000 + i;
      const [cmd, arg] = i % 7 === 0 ? ['chattr', '-i'] : ['ls', '-la'];
      lines.push(`type=SYSCALL msg=audit(1764144185.${String(i).padStart(3, '0')}:${serial}): arch=c000003e syscall=59 success=yes exit=0 a0=1 items=1 ppid=1 pid=${serial} uid=0 comm="${cmd}" exe="/usr/bin/${cmd}" key="exec"`);
      lines.push(`type=EXECVE msg=audit(1764144185.${String(i).padStart(3, '0')}:${serial}): argc=2 a0="${cmd}" a1="${arg}"`);
      lines.push(`type=EOE msg=audit(1764144185.${String(i).padStart(3, '0')}:${serial}):`);
    }
    const records: Record<string, unknown>[] = [];
    const decoder = new AuditdDecoder({ file: 'x', hostname: 'h' }, { record: (r) => records.push(r), issue: (e) => { throw e; } });
    lines.forEach((l, i) => decoder.line(l, i + 1));
    decoder.flush();
    const expected = await expectedHits(auditdRules, 'auditd', records, 'id');
    expect(expected.filter((h) => h[0] === 'a5b977d6-8a81-4475-91b9-49dbfcd941f7').length).toBe(43); // chattr -i, every 7th of 300

    const dir = tmp();
    writeFileSync(join(dir, 'audit.log'), lines.join('\n') + '\n');
    writeFileSync(join(dir, 'audit.log.gz'), gzipSync(lines.join('\n') + '\n'));
    const ruleAndIndex = (hits: Hit[]) => hits.map(([r, i]) => [r, i]);
    expect(ruleAndIndex(await evalHits({ rules: auditdRules, events: join(dir, 'audit.log'), source: 'auditd' }))).toEqual(ruleAndIndex(expected));
    expect(ruleAndIndex(await evalHits({ rules: auditdRules, events: join(dir, 'audit.log.gz'), source: 'auditd' }))).toEqual(ruleAndIndex(expected));
  });

  test('standard input (--events -) through the built CLI', () => {
    const r = spawnSync(process.execPath, [vigilMain, 'rules', 'eval', '--rules', cloudtrailRules, '--events', '-', '--source', 'cloudtrail'], {
      input: gzipSync(ndjson(cloudtrail)),
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    expect(r.status).toBe(0);
    const hits = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { rule: { id: string }; event: { index: number } });
    expect(hits.length).toBeGreaterThan(10);
    expect(hits.every((h) => h.event.index < cloudtrail.length)).toBe(true);
  });
});

test('a malformed record is reported at its file:line (or element) and the others are evaluated', async () => {
  const dir = tmp();
  const rule = `title: t\nid: r1\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    eventName: DeleteTrail\n  condition: sel\n`;
  writeFileSync(join(dir, 'r.yml'), rule);
  const ndjson = join(dir, 'events.ndjson');
  writeFileSync(ndjson, ['{"eventName":"DeleteTrail","eventID":"a"}', '{"eventName":"DeleteTr', '{"eventName":"DeleteTrail","eventID":"b"}'].join('\n'));
  const array = join(dir, 'events.json');
  writeFileSync(array, '[\n  {"eventName":"DeleteTrail","eventID":"a"},\n  {"eventName": nope},\n  {"eventName":"DeleteTrail","eventID":"b"}\n]');
  for (const [file, where] of [
    [ndjson, { file: ndjson, line: 2 }],
    [array, { file: array, line: 3, field: '[1]' }],
  ] as const) {
    const warnings: { code?: string; location?: unknown }[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _enc, done) => (warnings.push(JSON.parse(chunk.toString()) as { code?: string }), done()) }));
    const lines: string[] = [];
    await evalRules({ rules: [dir], events: file, source: 'cloudtrail' }, (l) => lines.push(l), logger);
    expect(lines.map((l) => (JSON.parse(l) as { event: { id: string } }).event.id)).toEqual(['a', 'b']);
    expect(warnings.filter((w) => w.code)).toEqual([expect.objectContaining({ code: 'VGL_RULE_EVENTS_INPUT', location: where })]);
  }
});

describe('parsed-rule cache', () => {
  const rule = (eventName: string) => `title: t\nid: r1\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    eventName: ${eventName}\n  condition: sel\n`;

  test('a second load uses the entry; editing a rule makes a new one, and the hits follow the edit', async () => {
    const dir = tmp();
    const rules = join(dir, 'rules');
    const cacheDir = join(dir, 'cache');
    mkdirSync(rules);
    writeFileSync(join(rules, 'r.yml'), rule('DeleteTrail'));
    const events = join(dir, 'events.ndjson');
    writeFileSync(events, '{"eventName":"DeleteTrail","eventID":"d"}\n{"eventName":"StopLogging","eventID":"s"}\n');
    const run = async () => {
      const logs: { msg?: string; ruleCache?: string }[] = [];
      const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(JSON.parse(chunk.toString()) as { msg?: string }), done()) }));
      const lines: string[] = [];
      await evalRules({ rules: [rules], events, source: 'cloudtrail', cacheDir, logger }, (l) => lines.push(l), logger);
      return { cache: logs.find((l) => l.msg === 'sigma rule set loaded')?.ruleCache, ids: lines.map((l) => (JSON.parse(l) as { event: { id: string } }).event.id) };
    };
    expect(await run()).toEqual({ cache: 'miss', ids: ['d'] });
    expect(readdirSync(cacheDir)).toHaveLength(1);
    expect(await run()).toEqual({ cache: 'hit', ids: ['d'] });

    writeFileSync(join(rules, 'r.yml'), rule('StopLogging'));
    expect(await run()).toEqual({ cache: 'miss', ids: ['s'] });
    expect(await run()).toEqual({ cache: 'hit', ids: ['s'] });
    expect(readdirSync(cacheDir)).toHaveLength(2);

    // A corrupt entry is a miss, not an error.
    for (const f of readdirSync(cacheDir)) writeFileSync(join(cacheDir, f), '{"format":1,"files":');
    expect(await run()).toEqual({ cache: 'miss', ids: ['s'] });
  });

  test('a cached rule with an error still reports it at its line and column', async () => {
    const dir = tmp();
    const cacheDir = join(dir, 'cache');
    writeFileSync(join(dir, 'bad.yml'), rule('DeleteTrail').replace('eventName:', 'eventName|nosuchmodifier:'));
    const errorsOf = async () => (await loadRuleSet([dir], { cacheDir })).errors.map((e) => [e.code, e.location.line, e.location.col, e.message]);
    const first = await errorsOf();
    expect(readdirSync(cacheDir)).toHaveLength(1);
    expect(first).toEqual([['VGL_RULE_UNKNOWN_MODIFIER', 8, 5, expect.stringContaining('bad.yml:8:5')]]);
    expect(await errorsOf()).toEqual(first);
  });
});
