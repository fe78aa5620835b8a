/**
 * The raw event archive on real files: events published through real Mosquitto and handled by a real
 * ingest land in hour segments whose index agrees with them; a writer killed with SIGKILL loses no
 * acknowledged event, and a torn or damaged tail is detected, reported and skipped while everything
 * before it reads; retention deletes only expired segments; former `.ndjson` day files still read.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import mqtt from 'mqtt';
import { startRuleRuntime, type RuleRuntime } from '../../src/app/rule-runtime';
import { hourOf, HOUR_MS, parseArchiveKey } from '../../src/ingest/archive/archive-keys';
import { scanArchive, type ArchiveFault } from '../../src/ingest/archive/archive-scan';
import { FolderStore } from '../../src/ingest/archive/folder-store';
import { SegmentIndexSchema } from '../../src/ingest/archive/segment-index';
import { EntityRouter } from '../../src/ingest/entity-router';
import { startIngest, type IngestService } from '../../src/ingest/ingest-service';
import { RawArchive } from '../../src/ingest/raw-archive';
import { eventsTopic } from '../../src/mqtt/topics';
import { encodeBatch } from '../../src/mqtt/wire-codec';
import { compiledPath } from '../../src/project-root';
import { archivedEvents } from '../helpers/archived-events';
import { makeRulesDir, podExecEvent, podExecRule } from '../helpers/rules-dir';
import { eventually, sharedClient, sharedMqttUrl, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';

jest.setTimeout(60_000);

const tempDir = (name: string): string => mkdtempSync(path.join(tmpdir(), `vigil-archive-${name}-`));
const files = (dir: string): string[] => readdirSync(dir).sort();
const everything = { from: 0, to: Number.MAX_SAFE_INTEGER };

describe('through MQTT and ingest', () => {
  const tenant = uniqueTenant('arch');
  let client: Client;
  let runtime: RuleRuntime;
  let ingest: IngestService;
  let archiveDir: string;
  let archive: RawArchive;

  beforeAll(async () => {
    runtime = await startRuleRuntime({ VIGIL_RULES_DIR: makeRulesDir({ 'pod-exec.yml': podExecRule }) }, testLogger);
    client = await sharedClient();
    archive = new RawArchive((archiveDir = tempDir('ingest')));
    ingest = await startIngest({
      mqttUrl: sharedMqttUrl(),
      clientId: `ingest-${tenant}`,
      shareGroup: `g-${tenant}`,
      connections: 2,
      tenants: [tenant],
      rules: runtime.ruleSet,
      builder: runtime.builder,
      router: new EntityRouter(client, testLogger),
      archive,
      stateDir: tempDir('state'),
      logger: testLogger,
    });
  });

  afterAll(async () => {
    await ingest?.stop();
    await archive?.close();
    runtime?.close();
    await client?.connection.close();
  });

  test('published events land in a segment of their arrival hour whose sealed index matches them', async () => {
    const started = Date.now();
    // Event times spread over three days: the index's range is event time, the partition is arrival time.
    const base = Date.parse('2026-11-28T10:00:00Z');
    const published: Array<{ id: string; time: number }> = [];
    const publisher = await mqtt.connectAsync(sharedMqttUrl(), { protocolVersion: 5 });
    try {
      for (let m = 0; m < 30; m++) {
        const events = [0, 1, 2, 3].map((i) => {
          const n = m * 4 + i;
          const time = base + n * 30 * 60_000;
          published.push({ id: `ev-${n}`, time });
          // Log-like padding (repeated within the message) so compression has something to work with.
          return { id: `ev-${n}`, time, data: { ...podExecEvent(`ev-${n}`, 'prod', `pod-${n % 5}`, `user-${n % 3}`, new Date(time)), note: `message ${m}`.repeat(20) } };
        });
        await publisher.publishAsync(eventsTopic(tenant, 'k8s_audit'), encodeBatch({ v: 1, collector: 'archive-test', events }), { qos: 1 });
      }
    } finally {
      await publisher.endAsync();
    }
    const stored = await eventually(async () => {
      const found = await archivedEvents(archiveDir, tenant, 'k8s_audit');
      return found.size === published.length ? found : undefined;
    }, 'every published event archived (read from the unsealed segment)', 30_000, 100);
    expect([...stored.values()].map((e) => [e.id, e.time]).sort()).toEqual(published.map((e) => [e.id, e.time]).sort());

    await ingest.stop();
    await archive.close(); // seals: writes each segment's index
    const ended = Date.now();
    const dir = path.join(archiveDir, tenant, 'k8s_audit');
    const names = files(dir);
    const segments = names.filter((n) => n.endsWith('.vseg'));
    expect(names.filter((n) => n.endsWith('.vidx'))).toEqual(segments.map((n) => n.replace(/\.vseg$/, '.vidx')));
    let events = 0;
    let minTime = Infinity;
    let maxTime = -Infinity;
    for (const name of segments) {
      const key = parseArchiveKey(`${tenant}/k8s_audit/${name}`)!;
      expect(key.start).toBeGreaterThanOrEqual(hourOf(started));
      expect(key.start).toBeLessThanOrEqual(hourOf(ended));
      const index = SegmentIndexSchema.parse(JSON.parse(readFileSync(path.join(dir, name.replace(/\.vseg$/, '.vidx')), 'utf8')));
      // The blocks tile the file exactly, and its events and time range are the blocks'.
      expect(index.bytes).toBe(statSync(path.join(dir, name)).size);
      let offset = 0;
      for (const block of index.blocks) {
        expect(block.offset).toBe(offset);
        offset += block.bytes;
      }
      expect(offset).toBe(index.bytes);
      expect(index.fault).toBeUndefined();
      events += index.events;
      minTime = Math.min(minTime, index.minTime!);
      maxTime = Math.max(maxTime, index.maxTime!);
    }
    expect(events).toBe(published.length);
    expect([minTime, maxTime]).toEqual([published[0]!.time, published[published.length - 1]!.time]);
    // Compressed: fewer bytes than the NDJSON lines the events are.
    const ndjsonBytes = [...stored.values()].reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)) + 1, 0);
    expect(segments.reduce((n, s) => n + statSync(path.join(dir, s)).size, 0)).toBeLessThan(ndjsonBytes / 2);
  });
});

/** A child process appending one event per append to a RawArchive, printing each id once its append resolved. */
const writerScript = `
const { RawArchive } = require(${JSON.stringify(compiledPath('src/ingest/raw-archive'))});
const archive = new RawArchive(process.argv[1]);
(async () => {
  for (let n = 0; ; n++) {
    await archive.append('acme', 'json', 'w', [{ id: 'e' + n, time: 1764000000000 + n, data: { n, text: 'x'.repeat(n % 300) } }], Date.now());
    process.stdout.write('acked e' + n + '\\n');
  }
})();
`;

async function killedWriter(dir: string, acks: number): Promise<string[]> {
  const child = spawn(process.execPath, ['-e', writerScript, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await eventually(async () => ((out.match(/\n/g)?.length ?? 0) >= acks ? true : undefined), `${acks} appends acknowledged`, 30_000, 20);
  child.kill('SIGKILL');
  await exited;
  return out.split('\n').filter((l) => l.startsWith('acked ')).map((l) => l.slice('acked '.length));
}

async function scanAll(dir: string) {
  const ids: string[] = [];
  const faults: ArchiveFault[] = [];
  const stats = await scanArchive(new FolderStore(dir), { tenant: 'acme', ...everything }, (e) => ids.push(e.id), { fault: (f) => faults.push(f) });
  return { ids, faults, stats };
}

describe('crash safety', () => {
  test('SIGKILL mid-stream: every acknowledged event reads back; a torn tail is reported and the frames before it read', async () => {
    const dir = tempDir('crash');
    const acked = await killedWriter(dir, 300);
    const segmentDir = path.join(dir, 'acme', 'json');
    const [segment] = files(segmentDir);
    expect(segment).toMatch(/\.vseg$/); // never sealed: readers scan it
    const afterKill = await scanAll(dir);
    expect(afterKill.ids).toEqual(expect.arrayContaining(acked));

    // What a crash inside write() leaves: the first bytes of a frame. Built from a real frame of this segment.
    const file = path.join(segmentDir, segment!);
    const bytes = readFileSync(file);
    const intact = bytes.length;
    appendFileSync(file, bytes.subarray(0, 50)); // a whole header (36 bytes) and part of a payload
    const torn = await scanAll(dir);
    expect(torn.ids).toEqual(afterKill.ids);
    expect(torn.faults).toEqual([{ key: `acme/json/${segment}`, offset: intact, reason: 'short payload', bytesAfter: 50 }]);

    truncateSync(file, intact + 20); // a torn header
    expect((await scanAll(dir)).faults).toEqual([expect.objectContaining({ offset: intact, reason: 'short header', bytesAfter: 20 })]);

    // A flipped bit inside the last complete frame: that frame and what follows are skipped, the rest reads.
    truncateSync(file, intact);
    const flipped = readFileSync(file);
    flipped[intact - 3]! ^= 0x10;
    writeFileSync(file, flipped);
    const damaged = await scanAll(dir);
    expect(damaged.faults).toHaveLength(1);
    expect(damaged.faults[0]).toMatchObject({ reason: 'checksum mismatch' });
    expect(damaged.ids.length).toBeGreaterThan(0);
    expect(damaged.ids).toEqual(afterKill.ids.slice(0, damaged.ids.length));

    // The next writer never appends to the damaged segment: it starts its own, and both read.
    const next = new RawArchive(dir);
    await next.append('acme', 'json', 'w', [{ id: 'after-restart', time: 1764000000000, data: {} }], Date.now());
    await next.close();
    expect(files(segmentDir).filter((n) => n.endsWith('.vseg'))).toHaveLength(2);
    expect(readFileSync(file)).toEqual(flipped);
    expect((await scanAll(dir)).ids).toContain('after-restart');
  });
});

test('many appends in flight, across block boundaries: every one resolves, once its events read back', async () => {
  const dir = tempDir('concurrent');
  const archive = new RawArchive(dir);
  const at = Date.now();
  // ~40 KB per append: groups committed together cross the 256 KiB block size again and again.
  const append = (n: number) => archive.append('acme', 'json', 'c', [{ id: `c${n}`, time: 1764000000000 + n, data: { n, blob: `${n}:`.repeat(8_000) } }], at);
  let next = 0;
  const resolved: string[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < 400) {
        const n = next++;
        await append(n);
        resolved.push(`c${n}`);
      }
    }),
  );
  expect(resolved).toHaveLength(400);
  const { ids, stats } = await scanAll(dir); // unsealed: a scan of the frames
  expect([...ids].sort()).toEqual([...resolved].sort());
  await archive.close();
  const sealed = await scanAll(dir);
  expect(sealed.ids).toEqual(ids);
  expect(sealed.stats.blocks).toBeGreaterThan(10);
  expect(stats.faults).toEqual([]);
});

describe('retention', () => {
  test('deletes whole segments and day files whose arrival period ended before the cutoff, and nothing else', async () => {
    const dir = tempDir('retention');
    const now = Date.parse('2026-12-02T12:30:00Z');
    const writer = new RawArchive(dir);
    for (const hoursAgo of [30, 5, 3, 1, 0]) {
      await writer.append('acme', 'cloudtrail', 'c', [{ id: `h${hoursAgo}`, time: now - hoursAgo * HOUR_MS, data: {} }], now - hoursAgo * HOUR_MS);
    }
    await writer.close();
    const legacy = path.join(dir, 'acme', 'cloudtrail');
    writeFileSync(path.join(legacy, '2026-11-20.ndjson'), JSON.stringify({ id: 'old-day', time: 1, tenant: 'acme', source: 'cloudtrail', collector: 'c', data: {} }) + '\n');
    writeFileSync(path.join(legacy, '2026-12-02.ndjson'), JSON.stringify({ id: 'today', time: now, tenant: 'acme', source: 'cloudtrail', collector: 'c', data: {} }) + '\n');
    writeFileSync(path.join(legacy, 'notes.txt'), 'not an archive object');

    const archive = new RawArchive(dir, { retentionMs: 2 * HOUR_MS + 15 * 60_000 }); // cutoff 10:15: hours ending by then go
    const deleted = await archive.sweep(now);
    expect(deleted).toBe(7); // three segments with their index, and the old day file
    const left = await scanAll(dir);
    expect(left.ids.sort()).toEqual(['h0', 'h1', 'today']);
    expect(files(legacy).filter((n) => n.startsWith('2026-12-02T')).map((n) => n.slice(0, 13))).toEqual(['2026-12-02T11', '2026-12-02T11', '2026-12-02T12', '2026-12-02T12']);
    expect(files(legacy)).toContain('notes.txt');
    expect(await new RawArchive(dir).sweep(now + 1000 * HOUR_MS)).toBe(0); // no retention set: nothing is ever deleted
  });
});

test('former .ndjson day files read with the segments; a torn last line is counted, not fatal', async () => {
  const dir = tempDir('legacy');
  mkdirSync(path.join(dir, 'acme', 'k8s_audit'), { recursive: true });
  const line = (id: string) => JSON.stringify({ id, time: Date.parse('2026-11-01T10:00:00Z'), tenant: 'acme', source: 'k8s_audit', collector: 'old', data: { auditID: id } });
  writeFileSync(path.join(dir, 'acme', 'k8s_audit', '2026-11-01.ndjson'), `${line('old-1')}\n${line('old-2')}\n${line('old-3').slice(0, 40)}`);
  const archive = new RawArchive(dir);
  await archive.append('acme', 'k8s_audit', 'new', [{ id: 'new-1', time: Date.parse('2026-11-01T11:00:00Z'), data: { auditID: 'new-1' } }], Date.parse('2026-11-02T00:10:00Z'));
  await archive.close();
  const read = await scanAll(dir);
  expect(read.ids).toEqual(['old-1', 'old-2', 'new-1']);
  expect(read.stats).toMatchObject({ legacyFiles: 1, segments: 1, badRecords: 1 });
});
