import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import mqtt from 'mqtt';
import pino from 'pino';
import { CollectorOutput } from '../../src/collect/collector-output';
import { FileCollector } from '../../src/collect/file-collector';
import { projectRoot } from '../../src/project-root';
import { sharedMqttUrl, uniqueTenant } from '../helpers/shared-servers';
import { runVigil } from '../helpers/vigil-process';
import { subscribeEvents } from './published-events';

const corpus = path.join(projectRoot, 'test', 'corpus');
const stratus = path.join(corpus, 'stratus-red-team', 'docs', 'detonation-logs');
const falcoTraces = path.join(corpus, 'falco-k8s-audit', 'test', 'trace_files', 'k8s_audit');
const logger = pino({ level: 'silent' });

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'vigil-collect-'));
}

function collect(args: string[], tenant: string): ReturnType<typeof runVigil> {
  return runVigil(['collect', 'file', ...args, '--tenant', tenant], { MQTT_URL: sharedMqttUrl(), VIGIL_TENANTS: tenant });
}

test('CloudTrail Records file (gzip) and a JSON array: every record published with its own eventID and eventTime', async () => {
  const tenant = uniqueTenant('ct');
  const dir = tmp();
  const stop = JSON.parse(readFileSync(path.join(stratus, 'aws.defense-evasion.cloudtrail-stop.json'), 'utf8')) as Array<{ eventID: string; eventTime: string }>;
  const leave = JSON.parse(readFileSync(path.join(stratus, 'aws.defense-evasion.organizations-leave.json'), 'utf8')) as Array<{ eventID: string }>;
  writeFileSync(path.join(dir, 'trail.json.gz'), gzipSync(JSON.stringify({ Records: stop })));
  const sub = await subscribeEvents(tenant);
  try {
    const r = collect([path.join(dir, 'trail.json.gz'), path.join(stratus, 'aws.defense-evasion.organizations-leave.json'), '--source', 'cloudtrail'], tenant);
    expect(r.status).toBe(0);
    const total = stop.length + leave.length;
    expect(r.stdout).toContain(`published ${total} events`);
    await sub.until((e) => e.length >= total);
    expect(sub.events.every((e) => e.topic === `vigil/v1/${tenant}/events/cloudtrail`)).toBe(true);
    expect(sub.events.map((e) => e.id).sort()).toEqual([...stop, ...leave].map((e) => e.eventID).sort());
    const first = sub.events.find((e) => e.id === stop[0]!.eventID)!;
    expect(first.time).toBe(Date.parse(stop[0]!.eventTime));
  } finally {
    await sub.close();
  }
});

test('a directory of k8s audit files and NDJSON with garbled lines and a dangling link: good lines published, bad ones reported with file:line', async () => {
  const tenant = uniqueTenant('k8s');
  const dir = tmp();
  mkdirSync(path.join(dir, 'nested'));
  const traces = ['create_deployment.json', 'delete_secret.json'].map((f) => readFileSync(path.join(falcoTraces, f), 'utf8').trim());
  const ndjson = path.join(dir, 'nested', 'audit.log');
  writeFileSync(ndjson, [traces[0], '{"truncated": ', '', '["not", "an", "event"]', traces[1], '{"kind":"Event"}'].join('\n') + '\n');
  symlinkSync(path.join(dir, 'rotated-away.log'), path.join(dir, 'dangling.log'));
  const sub = await subscribeEvents(tenant);
  try {
    const r = collect([dir, '--source', 'k8s_audit'], tenant);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('published 2 events');
    expect(r.stdout).toContain('malformed 4');
    expect(r.stderr).toContain(`VGL_COLLECT_INPUT: ${path.join(dir, 'dangling.log')}: cannot read`);
    expect(r.stderr).toContain(`VGL_COLLECT_INPUT: ${ndjson}:2: not JSON`);
    expect(r.stderr).toContain(`VGL_COLLECT_INPUT: ${ndjson}:4: not a k8s_audit event`);
    expect(r.stderr).toMatch(new RegExp(`VGL_COLLECT_INPUT: ${ndjson}:6 field (auditID|verb|stage)`));
    await sub.until((e) => e.length >= 2);
    expect(sub.events.map((e) => e.id).sort()).toEqual(traces.map((t) => (JSON.parse(t) as { auditID: string }).auditID).sort());
  } finally {
    await sub.close();
  }
});

test('--edge-rules: only events matching an edge rule leave the node; the rest are counted as filtered', async () => {
  const tenant = uniqueTenant('edge');
  const sub = await subscribeEvents(tenant);
  try {
    const edgeRules = path.join(projectRoot, 'rules', 'sigma', 'aws');
    const r = collect([path.join(stratus, 'aws.defense-evasion.cloudtrail-stop.json'), path.join(stratus, 'aws.execution.ec2-launch-unusual-instances.json'), '--source', 'cloudtrail', '--edge-rules', edgeRules], tenant);
    expect(r.status).toBe(0);
    const m = /published (\d+) events .*filtered by edge rules (\d+)/.exec(r.stdout)!;
    const [published, filtered] = [Number(m[1]), Number(m[2])];
    expect(published).toBeGreaterThan(0);
    expect(filtered).toBeGreaterThan(0);
    await sub.until((e) => e.length >= published);
    expect(sub.events.map((e) => e.data['eventName'])).toContain('StopLogging');
  } finally {
    await sub.close();
  }
});

test('--edge-rules naming a broken rule refuses to start (it would silently discard events)', () => {
  const dir = tmp();
  writeFileSync(path.join(dir, 'bad.yml'), 'title: x\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName|nosuchmodifier: x}\n  condition: sel\n');
  const r = collect([path.join(stratus, 'aws.defense-evasion.cloudtrail-stop.json'), '--source', 'cloudtrail', '--edge-rules', dir], 'acme');
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/VGL_RULE_UNKNOWN_MODIFIER: .*bad\.yml:4/);
});

test('--follow tails an audit log: appended records are grouped and published; truncation and rotation by rename are handled', async () => {
  const tenant = uniqueTenant('follow');
  const dir = tmp();
  const log = path.join(dir, 'audit.log');
  writeFileSync(log, 'type=SYSCALL msg=audit(1764144185.000:1): syscall=59 comm="id" exe="/usr/bin/id" key="exec"\ntype=EOE msg=audit(1764144185.000:1):\n');
  const sub = await subscribeEvents(tenant);
  const client = await mqtt.connectAsync(sharedMqttUrl());
  const output = new CollectorOutput(client, { tenant, source: 'auditd', collector: 'test', maxBatchDelayMs: 20 }, logger);
  const controller = new AbortController();
  const running = new FileCollector({ paths: [dir], source: 'auditd', follow: true, pollMs: 50, hostname: 'web-01', signal: controller.signal, logger }, output).run();
  try {
    await sub.until((e) => e.length === 1);
    // an event written in two appends, the second without its final newline yet
    appendFileSync(log, 'type=SYSCALL msg=audit(1764144186.000:2): syscall=59 comm="chmod" exe="/usr/bin/chmod" key="exec"\ntype=EXECVE msg=audit(1764144186.000:2): argc=2 a0="chmod" a1="u');
    await new Promise((r) => setTimeout(r, 200));
    appendFileSync(log, '+s"\ntype=EOE msg=audit(1764144186.000:2):\n');
    await sub.until((e) => e.length === 3);
    expect(sub.events[2]!.data).toMatchObject({ type: 'EXECVE', a0: 'chmod', a1: 'u+s', exe: '/usr/bin/chmod', hostname: 'web-01' });
    // a new file in the followed directory is picked up
    writeFileSync(path.join(dir, 'audit.log.new'), 'type=USER_AUTH msg=audit(1764144187.000:3): pid=1 uid=0 msg=\'op=PAM:authentication acct="root" res=failed\'\n');
    await sub.until((e) => e.some((x) => x.data['type'] === 'USER_AUTH'));
    // logrotate copytruncate: the file starts again, shorter
    writeFileSync(log, 'type=SYSCALL msg=audit(1764144188.000:4): syscall=59 comm="w" exe="/usr/bin/w"\n');
    await sub.until((e) => e.some((x) => x.data['msg'] === 'audit(1764144188.000:4)'));
    // rotation by rename (auditd's own): the renamed file keeps its place (its last line is not lost, nothing is
    // read twice) and the new file under the old name is read from its start
    const before = sub.events.length;
    const line = (serial: number): string => `type=SYSCALL msg=audit(1764144189.000:${serial}): syscall=59 comm="a" exe="/usr/bin/a"\ntype=EOE msg=audit(1764144189.000:${serial}):\n`;
    appendFileSync(log, line(5));
    renameSync(log, `${log}.1`);
    writeFileSync(log, line(6));
    await sub.until((e) => e.length >= before + 2);
    appendFileSync(log, line(7)); // once this one is in, a re-read of audit.log.1 would have been too
    await sub.until((e) => e.some((x) => x.data['msg'] === 'audit(1764144189.000:7)'));
    expect(sub.events.slice(before).map((e) => e.data['msg'])).toEqual(['audit(1764144189.000:5)', 'audit(1764144189.000:6)', 'audit(1764144189.000:7)']);
  } finally {
    controller.abort();
    await running;
    await output.flush();
    output.close();
    await client.endAsync();
    await sub.close();
  }
  expect(output.counts()).toMatchObject({ malformed: 0, dropped: 0 });
});

test('Falco json_output alerts: published with Falco\'s nanosecond time; a line that is not an alert is reported', async () => {
  const tenant = uniqueTenant('falco');
  const file = path.join(tmp(), 'falco_events.json');
  const alert = (rule: string, time: string): string =>
    JSON.stringify({ hostname: 'node-7', output: `${time}: Notice ${rule}`, priority: 'Notice', rule, source: 'syscall', tags: ['container'], time, output_fields: { 'container.id': 'c0ffee', 'proc.cmdline': 'sh -i', 'k8s.pod.name': 'web-1', 'k8s.ns.name': 'shop' } });
  writeFileSync(file, [alert('Terminal shell in container', '2026-11-26T08:03:05.123456789Z'), '{"hostname":"node-7","output":"x"}', alert('Read sensitive file untrusted', '2026-11-26T08:03:06.000000001Z')].join('\n'));
  const sub = await subscribeEvents(tenant);
  try {
    const r = collect([file, '--source', 'falco'], tenant);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('published 2 events');
    expect(r.stderr).toMatch(new RegExp(`VGL_COLLECT_INPUT: ${file}:2 field rule: not a falco event`));
    await sub.until((e) => e.length === 2);
    expect(sub.events.map((e) => [e.data['rule'], e.time, e.topic])).toEqual([
      ['Terminal shell in container', Date.parse('2026-11-26T08:03:05.123Z'), `vigil/v1/${tenant}/events/falco`],
      ['Read sensitive file untrusted', Date.parse('2026-11-26T08:03:06.000Z'), `vigil/v1/${tenant}/events/falco`],
    ]);
  } finally {
    await sub.close();
  }
});
