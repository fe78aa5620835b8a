/**
 * The archive on an S3-compatible store (src/ingest/archive/s3-store.ts) against a real HTTP server speaking S3
 * (test/helpers/fakes/s3.ts: checks every request's Signature V4 and payload hash, keeps objects in memory, lists
 * them with ListObjectsV2 pages of four keys). A real ingest writes the events it receives from Mosquitto to S3
 * and, in parallel, another one to a folder: `vigil hunt` gives the same hits from either. Retention deletes a
 * segment's parts and index. A refused signature is a VGL_ARCHIVE_STORE error naming the settings to check.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { HOUR_MS } from '../../src/ingest/archive/archive-keys';
import { S3Store } from '../../src/ingest/archive/s3-store';
import { RawArchive } from '../../src/ingest/raw-archive';
import { startS3Fake, type S3Fake } from '../helpers/fakes/s3';
import { makeRulesDir, podExecEvent, podExecRule } from '../helpers/rules-dir';
import { startRulelessIngest } from '../helpers/ruleless-ingest';
import { eventually, sharedClient, sharedMqttUrl, uniqueTenant } from '../helpers/shared-servers';
import { runVigilAsync } from '../helpers/vigil-process';

jest.setTimeout(120_000);

const credentials = { accessKeyId: 'AKIAVIGILARCHIVE01', secretAccessKey: randomBytes(20).toString('base64') };
const bucket = 'vigil-archive';
const rulesDir = makeRulesDir({ 'pod-exec.yml': podExecRule });
const base = Date.parse('2026-11-30T08:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();
let fake: S3Fake;
let client: Client;

const storeWith = (secretAccessKey = credentials.secretAccessKey): S3Store =>
  new S3Store({ endpoint: fake.url, bucket, region: 'eu-west-1', credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey } });
const s3Env = (secret = credentials.secretAccessKey): Record<string, string> => ({
  VIGIL_ARCHIVE_STORE: 's3',
  VIGIL_ARCHIVE_S3_ENDPOINT: fake.url,
  VIGIL_ARCHIVE_S3_BUCKET: bucket,
  VIGIL_ARCHIVE_S3_REGION: 'eu-west-1',
  VIGIL_ARCHIVE_S3_ACCESS_KEY_ID: credentials.accessKeyId,
  VIGIL_ARCHIVE_S3_SECRET_ACCESS_KEY: secret,
});

/** k8s audit events one minute apart, every other one an exec (a hit). */
function auditEvents(prefix: string, count: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, n) => {
    const event = podExecEvent(`${prefix}-${n}`, 'prod', `pod-${n % 4}`, `user-${n % 3}`, new Date(base + n * 60_000));
    if (n % 2 === 1) event['objectRef'] = { resource: 'pods', namespace: 'prod', name: `pod-${n % 4}`, apiVersion: 'v1' };
    return event;
  });
}

beforeAll(async () => {
  fake = await startS3Fake([credentials], bucket);
  client = await sharedClient();
});

afterAll(async () => {
  await fake?.close();
  await client?.connection.close();
});

test('ingest writes to S3 what it writes to a folder, and hunt reads back the same hits from both', async () => {
  const tenant = uniqueTenant('s3');
  const folder = mkdtempSync(path.join(tmpdir(), 'vigil-archive-folder-'));
  const s3Archive = new RawArchive(storeWith());
  const folderArchive = new RawArchive(folder);
  const ingests = [await startRulelessIngest(client, s3Archive, [tenant], `${tenant}-s3`), await startRulelessIngest(client, folderArchive, [tenant], `${tenant}-folder`)];
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-s3-events-')), 'events.ndjson');
  writeFileSync(file, auditEvents(tenant, 40).map((e) => JSON.stringify(e)).join('\n') + '\n');
  const collected = await runVigilAsync(['collect', 'file', '--source', 'k8s_audit', '--tenant', tenant, file], { MQTT_URL: sharedMqttUrl(), VIGIL_TENANTS: tenant });
  expect([collected.status, collected.stderr]).toEqual([0, '']);
  await eventually(async () => (ingests.every((i) => i.service.stats.events >= 40) ? true : undefined), 'both ingests archived 40 events', 30_000, 100);
  for (const i of ingests) await i.stop();
  await s3Archive.close(); // seals: each segment's index is put next to its parts
  await folderArchive.close();

  const keys = [...fake.objects.keys()].filter((k) => k.startsWith(`${tenant}/`));
  expect(keys.some((k) => /\.vseg~00000001$/.test(k))).toBe(true);
  expect(keys.some((k) => k.endsWith('.vidx'))).toBe(true);

  const range = ['--rules', rulesDir, '--tenant', tenant, '--from', iso(base - HOUR_MS), '--to', iso(base + HOUR_MS), '--json'];
  const [fromFolder, fromS3] = await Promise.all([runVigilAsync(['hunt', ...range, '--archive', folder], {}), runVigilAsync(['hunt', ...range], { ...s3Env(), LOG_LEVEL: 'info' })]);
  expect([fromFolder.status, fromS3.status, fromS3.stderr.includes('VGL_')]).toEqual([0, 0, false]);
  expect(fromFolder.stdout.trim().split('\n')).toHaveLength(20);
  expect(fromS3.stdout).toBe(fromFolder.stdout);
  expect(fake.counts.get('GET 403') ?? 0).toBe(0);
});

test('retention deletes an expired segment with all its parts and its index, and keeps the rest', async () => {
  const tenant = uniqueTenant('s3ret');
  const now = Date.now();
  const archive = new RawArchive(storeWith()); // written without retention, swept below
  const events = (n: number, at: number) => Array.from({ length: n }, (_, i) => ({ id: `${tenant}-${at}-${i}`, time: at, data: { i } }));
  // Several appends to the old hour's segment, one at a time: several parts.
  for (let i = 0; i < 3; i++) await archive.append(tenant, 'json', 'c', events(5, now - 3 * HOUR_MS + i), now - 3 * HOUR_MS);
  await archive.append(tenant, 'json', 'c', events(5, now), now);
  await archive.close();
  const hourOf = (at: number) => new Date(at).toISOString().slice(0, 13);
  const ofTenant = () => [...fake.objects.keys()].filter((k) => k.startsWith(`${tenant}/`));
  expect(ofTenant().filter((k) => k.includes(hourOf(now - 3 * HOUR_MS))).length).toBeGreaterThanOrEqual(4); // 3 parts + index
  expect(await new RawArchive(storeWith(), { retentionMs: HOUR_MS }).sweep(now)).toBeGreaterThanOrEqual(2);
  expect(ofTenant().filter((k) => k.includes(hourOf(now - 3 * HOUR_MS)))).toEqual([]);
  expect(ofTenant().filter((k) => k.includes(hourOf(now))).length).toBeGreaterThanOrEqual(2);
});

test('a refused signature is VGL_ARCHIVE_STORE naming the S3 error and the settings, for ingest and for hunt', async () => {
  const wrong = randomBytes(20).toString('base64');
  const archive = new RawArchive(storeWith(wrong));
  await expect(archive.append('acme', 'json', 'c', [{ id: 'e1', time: base, data: {} }], base)).rejects.toThrow(
    /^VGL_ARCHIVE_STORE: field VIGIL_ARCHIVE_S3_SECRET_ACCESS_KEY: S3 refused GET .* \(403 SignatureDoesNotMatch: .*\): check VIGIL_ARCHIVE_S3_ACCESS_KEY_ID, VIGIL_ARCHIVE_S3_SECRET_ACCESS_KEY and VIGIL_ARCHIVE_S3_REGION$/,
  );
  await archive.close();
  const hunted = await runVigilAsync(['hunt', '--rules', rulesDir, '--tenant', 'acme', '--from', iso(base), '--to', iso(base + HOUR_MS)], s3Env(wrong));
  expect(hunted.status).toBe(2);
  expect(hunted.stdout).toBe('');
  expect(hunted.stderr).toMatch(/^VGL_ARCHIVE_STORE: field VIGIL_ARCHIVE_S3_SECRET_ACCESS_KEY: S3 refused GET .*SignatureDoesNotMatch/);
});
