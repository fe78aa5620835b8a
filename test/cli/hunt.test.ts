/**
 * `vigil hunt` through the built CLI over real archives. Events collected with `vigil collect file`
 * through real Mosquitto into a real ingest give exactly the hits `vigil rules eval` gives over the same
 * file (detections and correlations), collected twice or not: redelivered copies are dropped by id. The
 * hunt reads one tenant only, skips segments whose indexed time range misses --from/--to, reports a
 * torn segment tail and reads the rest, and refuses bad arguments with VGL_HUNT_ARGUMENT.
 */
import { appendFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { HOUR_MS } from '../../src/ingest/archive/archive-keys';
import { RawArchive } from '../../src/ingest/raw-archive';
import { makeRulesDir, podExecEvent, podExecRule } from '../helpers/rules-dir';
import { eventually, sharedClient, sharedMqttUrl, uniqueTenant } from '../helpers/shared-servers';
import { startRulelessIngest, type RulelessIngest } from '../helpers/ruleless-ingest';
import { runVigilAsync } from '../helpers/vigil-process';

jest.setTimeout(120_000);

const execBurst = `
title: Test - three pod execs by one user in twenty minutes
id: 5b1f6c0e-2d7a-4c52-8e0f-7a3d9c1b2e44
name: t_exec_burst
status: test
level: critical
correlation:
  type: event_count
  rules: [test_pod_exec]
  group-by: [user.username]
  timespan: 20m
  condition: { gte: 3 }
`;
const rulesDir = makeRulesDir({ 'pod-exec.yml': podExecRule }, { 'exec-burst.yml': execBurst });
const base = Date.parse('2026-11-30T08:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

/** k8s audit events one minute apart: every other one an exec (a hit), the rest a plain `get pods`. */
function auditEvents(prefix: string, count: number, start = base): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, n) => {
    const event = podExecEvent(`${prefix}-${n}`, 'prod', `pod-${n % 4}`, `user-${n % 3}`, new Date(start + n * 60_000));
    if (n % 2 === 1) event['objectRef'] = { resource: 'pods', namespace: 'prod', name: `pod-${n % 4}`, apiVersion: 'v1' };
    return event;
  });
}

/** The `hunt done` summary hunt logs on stderr (LOG_LEVEL=info). */
function summary(stderr: string): Record<string, number> {
  const line = stderr.split('\n').find((l) => l.includes('"msg":"hunt done"'));
  if (!line) throw new Error(`no hunt summary in: ${stderr}`);
  return JSON.parse(line) as Record<string, number>;
}

describe('over an archive ingest wrote from MQTT', () => {
  const tenant = uniqueTenant('hunt');
  const other = uniqueTenant('other');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-hunt-data-'));
  const work = mkdtempSync(path.join(tmpdir(), 'vigil-hunt-'));
  const eventsFile = path.join(work, 'events.ndjson');
  let client: Client;
  let ingest: RulelessIngest;
  let archive: RawArchive;

  const collect = async (t: string, file: string) => {
    const r = await runVigilAsync(['collect', 'file', '--source', 'k8s_audit', '--tenant', t, file], { MQTT_URL: sharedMqttUrl(), VIGIL_TENANTS: `${tenant},${other}` });
    expect([r.status, r.stderr]).toEqual([0, '']);
  };

  beforeAll(async () => {
    // Ingest runs without rules: the hunt's rules are new, as when a rule is tried on past events.
    client = await sharedClient();
    archive = new RawArchive(path.join(dataDir, 'archive'));
    ingest = await startRulelessIngest(client, archive, [tenant, other]);
    writeFileSync(eventsFile, auditEvents(tenant, 40).map((e) => JSON.stringify(e)).join('\n') + '\n');
    const otherFile = path.join(work, 'other.ndjson');
    writeFileSync(otherFile, auditEvents(other, 40).map((e) => JSON.stringify(e)).join('\n') + '\n');
    await collect(tenant, eventsFile);
    await collect(other, otherFile);
    await collect(tenant, eventsFile); // the same events again: stored twice, hunted once
    await eventually(async () => (ingest.service.stats.events >= 120 ? true : undefined), `120 events archived (${JSON.stringify(ingest.service.stats)})`, 30_000, 100);
  });

  afterAll(async () => {
    await ingest?.stop();
    await archive?.close();
    await client?.connection.close();
  });

  test('hunt gives exactly the lines rules eval gives over the same events, correlations included', async () => {
    const [evaluated, hunted] = await Promise.all([
      runVigilAsync(['rules', 'eval', '--rules', rulesDir, '--events', eventsFile, '--source', 'k8s_audit'], {}),
      runVigilAsync(['hunt', '--rules', rulesDir, '--tenant', tenant, '--from', iso(base - HOUR_MS), '--to', iso(base + 24 * HOUR_MS), '--json'], { VIGIL_DATA_DIR: dataDir, LOG_LEVEL: 'info' }),
    ]);
    expect([evaluated.status, hunted.status]).toEqual([0, 0]);
    const lines = evaluated.stdout.trim().split('\n');
    expect(lines.filter((l) => l.includes('"type":"detection"'))).toHaveLength(20);
    expect(lines.filter((l) => l.includes('"type":"correlation"')).length).toBeGreaterThan(0);
    expect(hunted.stdout).toBe(evaluated.stdout);
    expect(summary(hunted.stderr)).toMatchObject({ events: 40, duplicates: 40, detections: 20 });
  });

  test("a hunt reads its tenant only: the other tenant's events never appear", async () => {
    const range = ['--from', iso(base - HOUR_MS), '--to', iso(base + 24 * HOUR_MS), '--json'];
    const [mine, theirs] = await Promise.all([
      runVigilAsync(['hunt', '--rules', rulesDir, '--tenant', tenant, ...range], { VIGIL_DATA_DIR: dataDir, LOG_LEVEL: 'info' }),
      runVigilAsync(['hunt', '--rules', rulesDir, '--tenant', other, ...range], { VIGIL_DATA_DIR: dataDir, LOG_LEVEL: 'info' }),
    ]);
    expect(mine.stdout).not.toContain(other);
    const theirIds = [...theirs.stdout.matchAll(/"id":"([^"]+)"\}\}/g)].map((m) => m[1]!);
    expect(theirIds).toHaveLength(20);
    expect(theirIds.every((id) => id.startsWith(`${other}-`))).toBe(true);
    expect(summary(theirs.stderr)).toMatchObject({ events: 40, duplicates: 0 });
  });
});

describe('over an archive written across hours', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-hunt-hours-'));
  const archiveDir = path.join(dataDir, 'archive');

  beforeAll(async () => {
    // Three arrival hours, each holding the events of its own hour: three segments with disjoint time ranges.
    const archive = new RawArchive(archiveDir);
    for (let h = 0; h < 3; h++) {
      const events = auditEvents(`h${h}`, 20, base + h * HOUR_MS).map((data) => ({ id: String(data['auditID']), time: Date.parse(String(data['stageTimestamp'])), data }));
      await archive.append('acme', 'k8s_audit', 'c', events, base + h * HOUR_MS + 15 * 60_000);
    }
    await archive.append('globex', 'k8s_audit', 'c', auditEvents('globex', 10, base + HOUR_MS).map((data) => ({ id: String(data['auditID']), time: base + HOUR_MS, data })), base + HOUR_MS);
    await archive.close();
  });

  test('--from/--to: segments outside the range are skipped unread, events outside it dropped', async () => {
    const r = await runVigilAsync(['hunt', '--rules', rulesDir, '--tenant', 'acme', '--from', iso(base + HOUR_MS), '--to', iso(base + 2 * HOUR_MS), '--json'], { VIGIL_DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    expect(r.status).toBe(0);
    const ids = [...r.stdout.matchAll(/"type":"detection".*?"id":"([^"]+)"\}\}/g)].map((m) => m[1]!);
    expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => `h1-${2 * i}`));
    expect(summary(r.stderr)).toMatchObject({ segments: 3, segmentsSkipped: 2, events: 20, outOfRange: 0 });
  });

  test('without --json one readable line per hit', async () => {
    const r = await runVigilAsync(['hunt', '--rules', rulesDir, '--tenant', 'acme', '--from', iso(base), '--to', iso(base + HOUR_MS)], { VIGIL_DATA_DIR: dataDir });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^detection +high +Test - exec into a pod {2}event h0-0$/);
    expect(r.stdout).toMatch(/^correlation +critical +Test - three pod execs by one user in twenty minutes {2}user\.username=user-\d {2}events h0-/m);
  });

  test('a torn segment tail is reported (VGL_ARCHIVE_FAULT) and the frames before it are hunted', async () => {
    const dir = path.join(archiveDir, 'acme', 'k8s_audit');
    const last = readdirSync(dir).filter((n) => n.endsWith('.vseg')).sort().pop()!;
    appendFileSync(path.join(dir, last), Buffer.from('VGF1 torn'));
    const r = await runVigilAsync(['hunt', '--rules', rulesDir, '--tenant', 'acme', '--from', iso(base), '--to', iso(base + 3 * HOUR_MS), '--json'], { VIGIL_DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('"code":"VGL_ARCHIVE_FAULT"');
    expect(r.stderr).toContain(`"segment":"acme/k8s_audit/${last}"`);
    expect(summary(r.stderr)).toMatchObject({ events: 60, faults: 1 });
  });

  test.each([
    [['--from', 'yesterday', '--to', '2026-12-01'], '--from'],
    [['--from', '2026-12-01T08:00:00', '--to', '2026-12-02'], '--from'],
    [['--from', '2026-12-02', '--to', '2026-12-01'], '--from'],
    [['--from', '2026-12-01', '--to', '2026-12-02', '--tenant', '../acme'], '--tenant'],
    [['--from', '2026-12-01', '--to', '2026-12-02', '--source', 'syslog'], '--source'],
    [['--from', '2026-12-01', '--to', '2026-12-02', '--archive', '/nonexistent/archive'], '--archive'],
  ])('%j is refused with VGL_HUNT_ARGUMENT naming %s', async (args, field) => {
    const withTenant = args.includes('--tenant') ? args : [...args, '--tenant', 'acme'];
    const r = await runVigilAsync(['hunt', '--rules', rulesDir, ...withTenant], { VIGIL_DATA_DIR: dataDir });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^VGL_HUNT_ARGUMENT: field ${field}: `));
  });
});
