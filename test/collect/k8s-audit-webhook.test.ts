/**
 * The k8s audit webhook collector on real HTTP(S) and a real broker: what it publishes, how it refuses
 * bad bodies and back-pressures, and that nothing is accepted without the API server's credential (a
 * bearer token, or a client certificate from --client-ca: real mTLS with certificates made here).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
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
import { runVigil, startVigil } from '../helpers/vigil-process';
import { makeTestPki, type TestPki } from '../helpers/test-pki';
import { subscribeEvents, type PublishedEvents } from './published-events';

const traces = path.join(projectRoot, 'test', 'corpus', 'falco-k8s-audit', 'test', 'trace_files', 'k8s_audit');
const logger = pino({ level: 'silent' });
const trace = (name: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(traces, name), 'utf8')) as Record<string, unknown>;
const eventList = (items: unknown[]): Record<string, unknown> => ({ apiVersion: 'audit.k8s.io/v1', kind: 'EventList', metadata: {}, items });

/** The bearer token the API server's kubeconfig carries in these tests. */
const token = randomBytes(32).toString('hex');

async function post(url: string, body: unknown, bearer: string | null = token): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }) };
  const res = await fetch(`${url}/audit`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A POST over HTTPS trusting `ca`, optionally presenting a client certificate and a bearer token. */
function postTls(url: string, body: unknown, options: RequestOptions & { bearer?: string }): Promise<{ status: number; json: Record<string, unknown> }> {
  const { bearer, ...tls } = options;
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) };
    const req = request(`${url}/audit`, { method: 'POST', ...tls, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
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
    webhook = await startK8sAuditWebhook({ host: '127.0.0.1', port: 0, maxBodyBytes: 256 * 1024, output, logger, auth: { token } });
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

  test.each([
    ['no credential', null],
    ['a wrong token', randomBytes(32).toString('hex')],
    ['a token that only shares a prefix', token.slice(0, 40)],
  ])('%s: 401 VGL_COLLECT_AUTH before the body is even read, and nothing is published', async (_what, bearer) => {
    // A forged EventList that would be valid: only the credential decides.
    const forged = await post(webhook.url, eventList([trace('exec_pod.json')]), bearer);
    expect(forged).toEqual({ status: 401, json: expect.objectContaining({ code: 'VGL_COLLECT_AUTH' }) });
    expect((await post(webhook.url, 'not even json', bearer)).status).toBe(401);
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
  const webhook = await startK8sAuditWebhook({ host: '127.0.0.1', port: 0, output, logger, auth: { token } });
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
  const webhook = await startK8sAuditWebhook({ host: '127.0.0.1', port: 0, output, logger, auth: { token } });
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

test('without a token or a client CA the webhook does not start', async () => {
  const client = mqtt.connect(`mqtt://127.0.0.1:${await freePort()}`, { reconnectPeriod: 0 });
  const output = new CollectorOutput(client, { tenant: 'acme', source: 'k8s_audit', collector: 'test' }, logger);
  try {
    await expect(startK8sAuditWebhook({ host: '127.0.0.1', port: 0, output, logger, auth: {} })).rejects.toMatchObject({ code: 'VGL_CONFIG_INVALID' });
  } finally {
    output.close();
    await client.endAsync(true);
  }
  const run = runVigil(['collect', 'k8s-audit', '--listen', '127.0.0.1:0'], { MQTT_URL: sharedMqttUrl(), VIGIL_K8S_AUDIT_TOKEN: '' });
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(/^VGL_CONFIG_INVALID: field VIGIL_K8S_AUDIT_TOKEN: .*--client-ca/);
  const placeholder = runVigil(['collect', 'k8s-audit', '--listen', '127.0.0.1:0'], { MQTT_URL: sharedMqttUrl(), VIGIL_K8S_AUDIT_TOKEN: 'changeme-changeme-changeme' });
  expect(placeholder.status).toBe(2);
  expect(placeholder.stderr).toMatch(/^VGL_CONFIG_INVALID: field VIGIL_K8S_AUDIT_TOKEN: looks like a placeholder/);
  const tokenFile = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-token-')), 'token');
  writeFileSync(tokenFile, 'xxxxxxxxxxxxxxxxxxxxxxxx\n');
  const fromFile = runVigil(['collect', 'k8s-audit', '--listen', '127.0.0.1:0', '--token-file', tokenFile], { MQTT_URL: sharedMqttUrl() });
  expect(fromFile.status).toBe(2);
  expect(fromFile.stderr).toMatch(/^VGL_CONFIG_INVALID: .*field --token-file: /);
  const caWithoutTls = runVigil(['collect', 'k8s-audit', '--listen', '127.0.0.1:0', '--client-ca', tokenFile], { MQTT_URL: sharedMqttUrl() });
  expect(caWithoutTls.status).toBe(2);
  expect(caWithoutTls.stderr).toMatch(/^VGL_CONFIG_INVALID: field --client-ca: .*--tls-cert/);
});

test('`vigil collect k8s-audit --listen` serves the webhook until SIGTERM, then reports what it published', async () => {
  const tenant = uniqueTenant('hookcli');
  const sub = await subscribeEvents(tenant);
  const port = await freePort();
  // The token from a file (kept out of argv and env), as a Secret volume would provide it.
  const tokenFile = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-token-')), 'token');
  writeFileSync(tokenFile, `${token}\n`);
  const vigil = startVigil(['collect', 'k8s-audit', '--listen', `127.0.0.1:${port}`, '--tenant', tenant, '--token-file', tokenFile], { MQTT_URL: sharedMqttUrl(), VIGIL_TENANTS: tenant });
  try {
    const deadline = Date.now() + 30_000;
    while (!vigil.output().includes('listening on')) {
      if (Date.now() > deadline || vigil.child.exitCode !== null) throw new Error(`webhook did not start: ${vigil.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await post(`http://127.0.0.1:${port}`, eventList([trace('exec_pod.json')]), null)).status).toBe(401);
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

describe('over HTTPS, as API servers call webhooks', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });

  async function withTlsWebhook(auth: { token?: string; clientCa?: Buffer }, run: (url: string, published: () => number) => Promise<void>): Promise<void> {
    const tenant = uniqueTenant('hooktls');
    const sub = await subscribeEvents(tenant);
    const client = await mqtt.connectAsync(sharedMqttUrl());
    const output = new CollectorOutput(client, { tenant, source: 'k8s_audit', collector: 'test', maxBatchDelayMs: 20 }, logger);
    const webhook = await startK8sAuditWebhook({ host: '127.0.0.1', port: 0, output, logger, tls: { cert: pki.server.cert, key: pki.server.key }, auth });
    try {
      expect(webhook.url).toMatch(/^https:/);
      await run(webhook.url, () => output.counts().accepted);
      await sub.until((e) => e.length === output.counts().published);
    } finally {
      await webhook.close();
      output.close();
      await client.endAsync();
      await sub.close();
    }
  }

  test('bearer token over TLS', async () => {
    await withTlsWebhook({ token }, async (url) => {
      expect((await postTls(url, eventList([trace('exec_pod.json')]), { ca: pki.ca.cert })).status).toBe(401);
      expect((await postTls(url, eventList([trace('exec_pod.json')]), { ca: pki.ca.cert, bearer: token })).status).toBe(200);
    });
  });

  test('mTLS with --client-ca: the API server\'s certificate is accepted; none, or one from another CA, gets 401', async () => {
    await withTlsWebhook({ clientCa: pki.ca.cert }, async (url, accepted) => {
      const body = eventList([trace('exec_pod.json')]);
      const none = await postTls(url, body, { ca: pki.ca.cert });
      expect(none).toEqual({ status: 401, json: expect.objectContaining({ code: 'VGL_COLLECT_AUTH' }) });
      const rogue = await postTls(url, body, { ca: pki.ca.cert, cert: pki.rogueClient.cert, key: pki.rogueClient.key });
      expect(rogue.status).toBe(401);
      // Only a client certificate is configured: a bearer token (of any value) opens nothing.
      expect((await postTls(url, body, { ca: pki.ca.cert, bearer: token })).status).toBe(401);
      expect(accepted()).toBe(0);
      const apiServer = await postTls(url, body, { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key });
      expect(apiServer).toEqual({ status: 200, json: { received: 1, published: 1 } });
    });
  });

  test('with both configured, either credential is enough', async () => {
    await withTlsWebhook({ token, clientCa: pki.ca.cert }, async (url) => {
      const body = eventList([trace('exec_pod.json')]);
      expect((await postTls(url, body, { ca: pki.ca.cert, bearer: token })).status).toBe(200);
      expect((await postTls(url, body, { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key })).status).toBe(200);
      expect((await postTls(url, body, { ca: pki.ca.cert, cert: pki.rogueClient.cert, key: pki.rogueClient.key })).status).toBe(401);
    });
  });

  test('`vigil collect k8s-audit --client-ca` serves mTLS', async () => {
    const tenant = uniqueTenant('hookmtls');
    const sub = await subscribeEvents(tenant);
    const port = await freePort();
    const args = ['collect', 'k8s-audit', '--listen', `127.0.0.1:${port}`, '--tenant', tenant, '--tls-cert', pki.server.certFile, '--tls-key', pki.server.keyFile, '--client-ca', pki.ca.certFile];
    const vigil = startVigil(args, { MQTT_URL: sharedMqttUrl(), VIGIL_TENANTS: tenant });
    try {
      while (!vigil.output().includes('listening on')) {
        if (vigil.child.exitCode !== null) throw new Error(`webhook did not start: ${vigil.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const body = eventList([trace('exec_pod.json')]);
      expect((await postTls(`https://127.0.0.1:${port}`, body, { ca: pki.ca.cert })).status).toBe(401);
      expect((await postTls(`https://127.0.0.1:${port}`, body, { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key })).status).toBe(200);
      await sub.until((e) => e.length === 1);
    } finally {
      await vigil.stop();
      await sub.close();
    }
  });
});
