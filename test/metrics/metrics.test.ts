/**
 * The Prometheus endpoints of real processes, scraped over HTTP: `vigil ingest` against the run's Mosquitto and
 * Temporal server counts exactly the good events and the dead letters (by code) it was sent, and its stage
 * latencies agree with its signals; a `vigil collect file` counts what it published and the malformed lines it
 * skipped; the endpoint refuses scrapes without its token (401 VGL_METRICS_AUTH) and placeholder or missing tokens
 * at start (VGL_CONFIG_INVALID). Last, every metric the Grafana dashboard (ops/grafana/vigil.json) queries is
 * exposed by one of these processes or by a `vigil worker` (its own endpoint and the Temporal SDK's).
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { eventsTopic } from '../../src/mqtt/topics';
import { encodeBatch } from '../../src/mqtt/wire-codec';
import { projectRoot } from '../../src/project-root';
import { freePort } from '../helpers/mosquitto';
import { makeRulesDir, podExecEvent, podExecRule } from '../helpers/rules-dir';
import { parseSamples, scrape, valueOf, type Sample } from '../../src/metrics/prometheus-text';
import { eventually, sharedMqttUrl, sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { runVigilAsync, startVigil, type VigilProcess } from '../helpers/vigil-process';

const tenant = uniqueTenant('metrics');
const token = randomBytes(32).toString('hex');
const rulesDir = makeRulesDir({ 'pod-exec.yml': podExecRule });
const baseEnv = {
  TEMPORAL_ADDRESS: sharedTemporalAddress(),
  MQTT_URL: sharedMqttUrl(),
  VIGIL_TENANTS: tenant,
  VIGIL_RULES_DIR: rulesDir,
  LOG_LEVEL: 'info',
};
const processes: VigilProcess[] = [];
let publisher: MqttClient;
let ingestUrl: string;
let collectorUrl: string;

/** Starts a `vigil` command and waits for its metrics endpoint's URL in its log (port 0: any free port). */
async function startWithMetrics(args: string[], env: Record<string, string>, ready: string): Promise<{ process: VigilProcess; url: string }> {
  const p = startVigil(args, { ...baseEnv, VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-metrics-')), VIGIL_METRICS_LISTEN: '127.0.0.1:0', ...env });
  processes.push(p);
  const url = await eventually(async () => (p.output().includes(ready) ? /"role":"metrics","url":"([^"]+)"/.exec(p.output())?.[1] : undefined), `${args[0]} started: ${p.output()}`, 60_000, 100);
  return { process: p, url };
}

const publish = (payload: Buffer): Promise<unknown> => publisher.publishAsync(eventsTopic(tenant, 'k8s_audit'), payload, { qos: 1 });
const podExec = (id: string): { id: string; time: number; data: Record<string, unknown> } => ({ id, time: Date.now(), data: podExecEvent(id, 'prod', `web-${id}`, 'eve') });

beforeAll(async () => {
  ({ url: ingestUrl } = await startWithMetrics(['ingest'], { VIGIL_METRICS_TOKEN: token, VIGIL_INGEST_GROUP: `g-${tenant}`, VIGIL_INGEST_CONNECTIONS: '1' }, 'ingest subscribed'));
  publisher = await mqtt.connectAsync(sharedMqttUrl(), { protocolVersion: 5 });
});

afterAll(async () => {
  await publisher?.endAsync();
  await Promise.all(processes.map((p) => p.stop()));
});

test('a scrape without the bearer token, or with a wrong one, is refused with 401 VGL_METRICS_AUTH', async () => {
  const refused: Array<Record<string, string>> = [{}, { authorization: `Bearer ${randomBytes(32).toString('hex')}` }, { authorization: token }];
  for (const headers of refused) {
    const res = await fetch(ingestUrl, { headers });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ code: 'VGL_METRICS_AUTH', message: 'missing or wrong bearer token' });
  }
  const ok = await fetch(ingestUrl, { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status).toBe(200);
  expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
});

test('ingest counts N good events and M dead letters by code, and its stage latencies match its signals', async () => {
  const good = 13;
  // 3 batches of 4 good events with the collector's sentAt, 1 batch of 1 good + 3 schema-invalid events, 2 non-msgpack messages.
  for (let b = 0; b < 3; b++) await publish(encodeBatch({ v: 1, collector: 'test', sentAt: Date.now(), events: [0, 1, 2, 3].map((i) => podExec(`${tenant}-${b}-${i}`)) }));
  await publish(encodeBatch({ v: 1, collector: 'test', sentAt: Date.now(), events: [podExec(`${tenant}-mixed`), ...[1, 2, 3].map((i) => ({ id: '', time: i, data: {} }))] }));
  await publish(Buffer.from([0xc1]));
  await publish(Buffer.from([0xc1, 0xc1]));
  const samples = await eventually(async () => {
    const s = await scrape(ingestUrl, token);
    return valueOf(s, 'vigil_ingest_acknowledged_total') === 6 && valueOf(s, 'vigil_route_signals_total', { outcome: 'accepted' }) > 0 ? s : undefined;
  }, 'all 6 messages acknowledged', 30_000, 200);
  const t = { tenant };
  expect({
    messages: valueOf(samples, 'vigil_ingest_messages_total'),
    archived: valueOf(samples, 'vigil_ingest_events_archived_total', t),
    detections: valueOf(samples, 'vigil_ingest_detections_total', t),
    schema: valueOf(samples, 'vigil_ingest_dead_letters_total', { ...t, code: 'VGL_DLQ_SCHEMA' }),
    schemaEvents: valueOf(samples, 'vigil_ingest_dead_lettered_events_total', { ...t, code: 'VGL_DLQ_SCHEMA' }),
    decode: valueOf(samples, 'vigil_ingest_dead_letters_total', { ...t, code: 'VGL_DLQ_DECODE' }),
    allLetters: valueOf(samples, 'vigil_ingest_dead_letters_total'),
    failedSignals: valueOf(samples, 'vigil_route_signals_total', { outcome: 'failed' }),
    batches: valueOf(samples, 'vigil_ingest_batch_events_count', t),
    batchEvents: valueOf(samples, 'vigil_ingest_batch_events_sum', t),
    published: valueOf(samples, 'vigil_pipeline_stage_seconds_count', { ...t, stage: 'publish_to_ingest' }),
    capacity: valueOf(samples, 'vigil_ingest_ack_window_capacity'),
    window: valueOf(samples, 'vigil_ingest_ack_window_messages'),
    ackWaits: valueOf(samples, 'vigil_ingest_ack_wait_seconds_count'),
  }).toEqual({ messages: 6, archived: good, detections: good, schema: 3, schemaEvents: 3, decode: 2, allLetters: 5, failedSignals: 0, batches: 4, batchEvents: 16, published: 4, capacity: 1000, window: 0, ackWaits: 6 });
  // Every detection sent in a signal (once per correlator it concerns) has its route and end-to-end latency observed.
  const routed = valueOf(samples, 'vigil_route_signal_detections_sum', t);
  expect(routed).toBeGreaterThanOrEqual(good);
  expect(valueOf(samples, 'vigil_pipeline_stage_seconds_count', { ...t, stage: 'ingest_to_route' })).toBe(routed);
  expect(valueOf(samples, 'vigil_pipeline_stage_seconds_count', { ...t, stage: 'publish_to_accepted' })).toBe(routed);
  expect(valueOf(samples, 'vigil_pipeline_stage_seconds_count', { ...t, stage: 'route_to_accepted' })).toBe(valueOf(samples, 'vigil_route_signals_total', { ...t, outcome: 'accepted' }));
});

test('a collector counts the events it published and the malformed records it skipped', async () => {
  const before = valueOf(await scrape(ingestUrl, token), 'vigil_ingest_events_archived_total', { tenant });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-collect-')), 'audit.log');
  writeFileSync(file, '');
  ({ url: collectorUrl } = await startWithMetrics(['collect', 'file', file, '--source', 'k8s_audit', '--follow', '--poll-ms', '100'], {}, 'metrics endpoint listening'));
  const lines = [1, 2, 3, 4, 5].map((i) => JSON.stringify(podExecEvent(`${tenant}-c${i}`, 'prod', `api-${i}`, 'eve')));
  appendFileSync(file, [lines[0], 'not json {', ...lines.slice(1), '{"kind":"Pod"}', ''].join('\n'));
  const labels = { tenant, source: 'k8s_audit' };
  const collector = await eventually(async () => {
    const s = await scrape(collectorUrl); // loopback, no token configured: none asked
    return valueOf(s, 'vigil_collector_events_published_total', labels) === 5 ? s : undefined;
  }, 'collector published 5 events', 30_000, 200);
  expect(valueOf(collector, 'vigil_collector_records_malformed_total', labels)).toBe(2);
  expect(valueOf(collector, 'vigil_collector_events_dropped_total', labels)).toBe(0);
  expect(valueOf(collector, 'vigil_collector_events_buffered', labels)).toBe(0);
  await eventually(async () => (valueOf(await scrape(ingestUrl, token), 'vigil_ingest_events_archived_total', { tenant }) === before + 5 ? true : undefined), 'ingest archived the collector\'s 5 events', 30_000, 200);
});

test('a placeholder token, or an endpoint beyond loopback without one, stops the process at start with VGL_CONFIG_INVALID', async () => {
  const placeholder = 'changeme-changeme-changeme';
  const refused = await runVigilAsync(['ingest'], { ...baseEnv, VIGIL_METRICS_LISTEN: '127.0.0.1:0', VIGIL_METRICS_TOKEN: placeholder });
  expect(refused.status).toBe(2);
  expect(refused.stderr).toMatch(/VGL_CONFIG_INVALID: field VIGIL_METRICS_TOKEN: looks like a placeholder/);
  expect(refused.stderr).not.toContain(placeholder);
  const exposed = await runVigilAsync(['worker'], { ...baseEnv, VIGIL_METRICS_LISTEN: ':0' });
  expect(exposed.status).toBe(2);
  expect(exposed.stderr).toMatch(/VGL_CONFIG_INVALID: field VIGIL_METRICS_TOKEN: VIGIL_METRICS_LISTEN binds 0\.0\.0\.0, beyond loopback/);
});

test('every metric the Grafana dashboard queries is exposed by a running ingest, collector or worker', async () => {
  const dashboard = JSON.parse(readFileSync(path.join(projectRoot, 'ops/grafana/vigil.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }>; templating: { list: Array<{ definition?: string }> } };
  const queries = [...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...dashboard.templating.list.flatMap((v) => (v.definition ? [v.definition] : []))];
  const wanted = new Set(queries.flatMap((q) => [...q.matchAll(/\b((?:vigil|temporal|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!)));
  expect(wanted.size).toBeGreaterThan(20);

  const temporalPort = await freePort();
  const { url: workerUrl } = await startWithMetrics(['worker'], { VIGIL_TEMPORAL_METRICS_LISTEN: `127.0.0.1:${temporalPort}` }, 'workers ready');
  // The worker runs the correlators ingest signalled; these detections give it workflow tasks to measure.
  await publish(encodeBatch({ v: 1, collector: 'test', sentAt: Date.now(), events: [podExec(`${tenant}-dash`)] }));
  await eventually(async () => {
    const all: Sample[] = [
      ...(await scrape(ingestUrl, token)),
      ...(await scrape(collectorUrl)),
      ...(await scrape(workerUrl)),
      ...parseSamples(await (await fetch(`http://127.0.0.1:${temporalPort}/metrics`)).text()),
    ];
    const exposed = new Set(all.map((s) => s.name));
    const missing = [...wanted].filter((name) => !exposed.has(name));
    if (missing.length > 0) throw new Error(`not exposed: ${missing.join(', ')}`);
    return true;
  }, 'every dashboard metric exposed', 60_000, 500);
});
