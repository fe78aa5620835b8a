import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { CollectorOutput } from '../../src/collect/collector-output';
import { EdgeFilter } from '../../src/collect/edge-filter';
import { startK8sAuditWebhook, type K8sAuditWebhook } from '../../src/collect/k8s-audit-webhook';
import { projectRoot } from '../../src/project-root';
import { freePort } from '../helpers/mosquitto';
import { sharedMqttUrl, uniqueTenant } from '../helpers/shared-servers';
import { startVigil } from '../helpers/vigil-process';
import { subscribeEvents, type PublishedEvents } from './published-events';

const traces = path.join(projectRoot, 'test', 'corpus', 'falco-k8s-audit', 'test', 'trace_files', 'k8s_audit');
const logger = pino({ level: 'silent' });
const trace = (name: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(traces, name), 'utf8')) as Record<string, unknown>;
const eventList = (items: unknown[]): Record<string, unknown> => ({ apiVersion: 'audit.k8s.io/v1', kind: 'EventList', metadata: {}, items });

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/audit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('k8s audit webhook', () => {
  let tenant: string;
  let client: MqttClient;
  let output: CollectorOutput;
  let webhook: K8sAuditWebhook;
  let sub: PublishedEvents;

  beforeEach(async () => {
    tenant = uniqueTenant('hook');
    sub = await subscribeEvents(tenant);
    client = await mqtt.connectAsync(sharedMqttUrl());
    output = new CollectorOutput(client, { tenant, source: 'k8s_audit', collector: 'test', maxBatchDelayMs: 20 }, logger);
    webhook = await startK8sAuditWebhook({ host: '127.0.0.1', port: 0, maxBodyBytes: 256 * 1024, output, logger });
  });

  afterEach(async () => {
    await webhook.close();
    output.close();
    await client.endAsync();
    await sub.close();
  });

  test('an EventList from the API server: 200, every event published under its auditID and stage time', async () => {
    const items = [trace('create_deployment.json'), trace('exec_pod.json'), trace('delete_secret.json')];
    const res = await post(webhook.url, eventList(items));
    expect(res).toEqual({ status: 200, json: { received: 3, published: 3 } });
    await sub.until((e) => e.length === 3);
    expect(sub.events.map((e) => e.id)).toEqual(items.map((i) => i['auditID']));
    expect(sub.events[0]!.time).toBe(Date.parse(items[0]!['stageTimestamp'] as string));
    expect(sub.events[0]!.topic).toBe(`vigil/v1/${tenant}/events/k8s_audit`);
  });

  test.each([
    ['not JSON', '{"kind": "EventList", ', undefined],
    ['another kind', { apiVersion: 'audit.k8s.io/v1', kind: 'Event', items: [] }, 'kind'],
    ['an older API version', { apiVersion: 'audit.k8s.io/v1beta1', kind: 'EventList', items: [] }, 'apiVersion'],
    ['an item that is not an audit Event', eventList([trace('create_deployment.json'), { kind: 'Event', verb: 'get', stage: 'ResponseComplete' }]), 'items[1].auditID'],
  ])('%s: 400 with the reason and field, and nothing of the batch is published', async (_what, body, field) => {
    const res = await post(webhook.url, body);
    expect(res.status).toBe(400);
    expect(res.json['code']).toBe('VGL_COLLECT_PAYLOAD');
    expect(res.json['field']).toBe(field);
    expect(output.counts().accepted).toBe(0);
  });

  test('a body over the size bound: 413', async () => {
    const big = eventList(Array.from({ length: 200 }, () => trace('create_nginx_pod_privileged.json')));
    const res = await post(webhook.url, big);
    expect(res.status).toBe(413);
    expect(res.json['code']).toBe('VGL_COLLECT_PAYLOAD');
  });
});

test('broker unreachable and buffer full: 503 so the API server retries the batch, instead of dropping events', async () => {
  const unreachable = mqtt.connect(`mqtt://127.0.0.1:${await freePort()}`, { reconnectPeriod: 1000 });
  const output = new CollectorOutput(unreachable, { tenant: 'acme', source: 'k8s_audit', collector: 'test', maxBufferedEvents: 4 }, logger);
  const webhook = await startK8sAuditWebhook({ host: '127.0.0.1', port: 0, output, logger });
  try {
    const batch = eventList([trace('create_deployment.json'), trace('exec_pod.json'), trace('delete_secret.json')]);
    expect((await post(webhook.url, batch)).status).toBe(200);
    expect((await post(webhook.url, batch)).status).toBe(503);
    expect(output.counts()).toMatchObject({ accepted: 3, dropped: 0, buffered: 3 });
  } finally {
    await webhook.close();
    output.close();
    await unreachable.endAsync(true);
  }
});

test('with edge rules only matching events are published (privileged pod yes, plain deployment no)', async () => {
  const tenant = uniqueTenant('hookedge');
  const sub = await subscribeEvents(tenant);
  const client = await mqtt.connectAsync(sharedMqttUrl());
  const edge = await EdgeFilter.load(path.join(projectRoot, 'rules', 'sigma', 'kubernetes'), 'k8s_audit', logger);
  const output = new CollectorOutput(client, { tenant, source: 'k8s_audit', collector: 'test', maxBatchDelayMs: 20, edge }, logger);
  const webhook = await startK8sAuditWebhook({ host: '127.0.0.1', port: 0, output, logger });
  try {
    const privileged = trace('create_nginx_pod_privileged.json');
    const res = await post(webhook.url, eventList([trace('create_deployment.json'), privileged]));
    expect(res).toEqual({ status: 200, json: { received: 2, published: 1 } });
    await sub.until((e) => e.length === 1);
    expect(sub.events[0]!.id).toBe(privileged['auditID']);
    expect(output.counts()).toMatchObject({ filtered: 1 });
  } finally {
    await webhook.close();
    output.close();
    await client.endAsync();
    await sub.close();
  }
});

test('`vigil collect k8s-audit --listen` serves the webhook until SIGTERM, then reports what it published', async () => {
  const tenant = uniqueTenant('hookcli');
  const sub = await subscribeEvents(tenant);
  const port = await freePort();
  const vigil = startVigil(['collect', 'k8s-audit', '--listen', `127.0.0.1:${port}`, '--tenant', tenant], { MQTT_URL: sharedMqttUrl(), VIGIL_TENANTS: tenant });
  try {
    const deadline = Date.now() + 30_000;
    while (!vigil.output().includes('listening on')) {
      if (Date.now() > deadline || vigil.child.exitCode !== null) throw new Error(`webhook did not start: ${vigil.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const res = await post(`http://127.0.0.1:${port}`, eventList([trace('exec_pod.json')]));
    expect(res.status).toBe(200);
    await sub.until((e) => e.length === 1);
  } finally {
    await vigil.stop();
    await sub.close();
  }
  expect(vigil.child.exitCode).toBe(0);
  expect(vigil.output()).toContain(`k8s_audit: published 1 events to tenant ${tenant}`);
});

test('over HTTPS with --tls-cert/--tls-key, as API servers usually call webhooks', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-tls-'));
  const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert]);
  expect(made.status).toBe(0);
  const tenant = uniqueTenant('hooktls');
  const sub = await subscribeEvents(tenant);
  const client = await mqtt.connectAsync(sharedMqttUrl());
  const output = new CollectorOutput(client, { tenant, source: 'k8s_audit', collector: 'test', maxBatchDelayMs: 20 }, logger);
  const webhook = await startK8sAuditWebhook({ host: '127.0.0.1', port: 0, output, logger, tls: { cert: readFileSync(cert), key: readFileSync(key) } });
  try {
    expect(webhook.url).toMatch(/^https:/);
    const body = JSON.stringify(eventList([trace('exec_pod.json')]));
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${webhook.url}/`, { method: 'POST', ca: readFileSync(cert), headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
    await sub.until((e) => e.length === 1);
  } finally {
    await webhook.close();
    output.close();
    await client.endAsync();
    await sub.close();
  }
});
