/**
 * `npm start` as a user runs it: `vigil dev` with nothing configured starts the Temporal dev server (UI
 * included), the codec endpoint, the in-process MQTT broker, a worker process, an ingest process and the demo
 * replay; the demo raises alerts visible through Temporal; Ctrl-C stops everything cleanly, children included; a
 * restart on the same data folder still has the correlators (SQLite persistence); a worker process killed under it
 * ends it with VGL_STACK_PROCESS_EXITED and leaves nothing running; Ctrl-C during the demo stops it. With VIGIL_METRICS_LISTEN and
 * VIGIL_TEMPORAL_METRICS_LISTEN set, the ingest process serves its metrics and the worker process the Temporal SDK's.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import mqtt from 'mqtt';
import { connectClient } from '../../src/temporal/client';
import { freePort } from '../helpers/mosquitto';
import { scrape, valueOf } from '../../src/metrics/prometheus-text';
import { eventually } from '../helpers/shared-servers';
import { processAlive, startVigil, type VigilProcess } from '../helpers/vigil-process';

jest.setTimeout(300_000);

let env: Record<string, string>;
let dev: VigilProcess | undefined;
let client: Client | undefined;

beforeAll(async () => {
  env = {
    VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-dev-')),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    MQTT_PORT: String(await freePort()),
    VIGIL_CODEC_PORT: String(await freePort()),
    VIGIL_METRICS_LISTEN: `127.0.0.1:${await freePort()}`,
    VIGIL_TEMPORAL_METRICS_LISTEN: `127.0.0.1:${await freePort()}`,
    VIGIL_TENANTS: 'acme',
    LOG_LEVEL: 'warn',
    // Nothing else: no TEMPORAL_ADDRESS, no MQTT_URL, no webhook — the embedded defaults.
    TEMPORAL_ADDRESS: '',
    MQTT_URL: '',
    VIGIL_WEBHOOK_URL: '',
  };
});

afterAll(async () => {
  await client?.connection.close();
  await dev?.stop();
});

/** The worker and ingest pids `vigil dev` prints, checked to be live children of it running those commands. */
function stackProcesses(proc: VigilProcess): { worker: number; ingest: number } {
  const m = /Processes +worker pid (\d+), ingest pid (\d+)/.exec(proc.output());
  expect(m).not.toBeNull();
  const pids = { worker: Number(m![1]), ingest: Number(m![2]) };
  for (const [role, pid] of Object.entries(pids)) {
    // /proc/PID/stat: "pid (comm) state ppid ..."; cmdline: NUL-separated arguments.
    const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
    expect(ppid).toBe(proc.child.pid);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain(role);
  }
  expect(new Set([pids.worker, pids.ingest, proc.child.pid]).size).toBe(3);
  return pids;
}

async function stopWithCtrlC(proc: VigilProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => proc.child.once('exit', (code) => resolve(code)));
  proc.child.kill('SIGINT');
  return exited;
}

test('vigil dev brings the stack up, the demo raises alerts visible in Temporal, Ctrl-C stops it cleanly', async () => {
  dev = startVigil(['dev', '--speed', '50'], env);
  await eventually(async () => (dev!.output().includes('demo: scenarios published') ? true : undefined), `demo published; output:\n${dev.output()}`, 240_000, 500);
  expect(dev.output()).toContain(`Temporal UI      http://localhost:${env.TEMPORAL_UI_PORT}/namespaces/default/workflows`);
  const pids = stackProcesses(dev);

  client = await connectClient(`127.0.0.1:${env.TEMPORAL_PORT}`, 'default');
  const withAlerts = await eventually(async () => {
    const { count } = await client!.workflow.count(`WorkflowType = 'correlatorWorkflow' AND TenantId = 'acme' AND OpenAlerts > 0`);
    return count >= 3 ? count : undefined;
  }, 'correlators with open alerts from the demo', 120_000);
  expect(withAlerts).toBeGreaterThanOrEqual(3);
  const playbooks = await client.workflow.count(`WorkflowType = 'playbookWorkflow' AND TenantId = 'acme'`);
  expect(playbooks.count).toBeGreaterThan(0);

  // Metrics: the demo's events went through ingest, and the worker's workflow tasks were measured by the SDK.
  expect(dev.output()).toContain(`Metrics          http://${env.VIGIL_METRICS_LISTEN}/metrics`);
  const vigilMetrics = await scrape(`http://${env.VIGIL_METRICS_LISTEN}/metrics`);
  expect(valueOf(vigilMetrics, 'vigil_ingest_events_archived_total', { tenant: 'acme' })).toBeGreaterThan(0);
  expect(valueOf(vigilMetrics, 'vigil_route_signals_total', { tenant: 'acme', outcome: 'accepted' })).toBeGreaterThan(0);
  // Served by the ingest process itself (its registry labels Node's metrics with its role).
  expect(vigilMetrics.some((s) => s.name === 'process_cpu_user_seconds_total' && s.labels.role === 'ingest')).toBe(true);
  const sdkMetrics = await scrape(`http://${env.VIGIL_TEMPORAL_METRICS_LISTEN}/metrics`);
  expect(valueOf(sdkMetrics, 'temporal_workflow_task_execution_latency_count', { task_queue: 'vigil-acme' })).toBeGreaterThan(0);

  // The Web UI is served, and the codec endpoint turns a msgpack signal payload into JSON.
  const ui = await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/`);
  expect(ui.status).toBe(200);
  let correlatorId = '';
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'correlatorWorkflow' AND OpenAlerts > 0` })) correlatorId = wf.workflowId;
  const history = await client.workflow.getHandle(correlatorId).fetchHistory();
  const signal = history.events!.find((e) => e.workflowExecutionSignaledEventAttributes)!.workflowExecutionSignaledEventAttributes!;
  const payload = signal.input!.payloads![0]!;
  const wire = { metadata: Object.fromEntries(Object.entries(payload.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(payload.data!).toString('base64') };
  expect(Buffer.from(wire.metadata.encoding!, 'base64').toString()).toBe('binary/msgpack');
  const decoded = await fetch(`http://127.0.0.1:${env.VIGIL_CODEC_PORT}/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ payloads: [wire] }) });
  const body = (await decoded.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
  expect(Buffer.from(body.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
  const batch = JSON.parse(Buffer.from(body.payloads[0]!.data, 'base64').toString()) as { batchId: string; detections: Array<{ tenant: string }> };
  expect(batch.detections[0]!.tenant).toBe('acme');

  // The in-process broker refuses anonymous clients; this run's logins are in the data folder, readable by the owner only.
  await expect(mqtt.connectAsync(`mqtt://127.0.0.1:${env.MQTT_PORT}`, { reconnectPeriod: 0 })).rejects.toThrow(/Not authorized/);
  const login = path.join(env.VIGIL_DATA_DIR!, 'credentials', 'collector.acme.env');
  expect(statSync(login).mode & 0o777).toBe(0o600);
  const password = /^MQTT_PASSWORD=(.+)$/m.exec(readFileSync(login, 'utf8'))![1]!;
  await (await mqtt.connectAsync(`mqtt://127.0.0.1:${env.MQTT_PORT}`, { username: 'collector.acme', password, reconnectPeriod: 0 })).endAsync();

  const code = await stopWithCtrlC(dev);
  expect(code).toBe(0);
  expect(dev.output()).toMatch(/stopping after SIGINT/);
  // vigil dev waited for its children: none is left.
  expect(processAlive(pids.worker) || processAlive(pids.ingest)).toBe(false);
  await client.connection.close();
  client = undefined;

  // Same data folder: the correlators are still there after a restart.
  dev = startVigil(['dev', '--no-demo'], env);
  await eventually(async () => (dev!.output().includes('Vigil is running.') ? true : undefined), 'restart', 120_000, 500);
  client = await connectClient(`127.0.0.1:${env.TEMPORAL_PORT}`, 'default');
  const again = await client.workflow.getHandle(correlatorId).describe();
  expect(again.status.name).toBe('RUNNING');

  // A worker process that dies takes the stack down with a coded error naming it: no half stack.
  const restarted = stackProcesses(dev);
  const exited = new Promise<number | null>((resolve) => dev!.child.once('exit', (code) => resolve(code)));
  process.kill(restarted.worker, 'SIGKILL');
  expect(await exited).toBe(2);
  expect(dev.output()).toContain(`VGL_STACK_PROCESS_EXITED: field worker: the worker process (pid ${restarted.worker}) exited unexpectedly with signal SIGKILL`);
  expect(processAlive(restarted.ingest)).toBe(false);

  // Ctrl-C while the demo is still replaying stops everything too (the SDK's runtime in vigil dev must not swallow it).
  dev = startVigil(['dev', '--speed', '5'], env);
  await eventually(async () => (dev!.output().includes('demo: replaying') ? true : undefined), 'demo replaying', 120_000, 200);
  const replaying = stackProcesses(dev);
  expect(await stopWithCtrlC(dev)).toBe(0);
  expect(dev.output()).not.toContain('demo: scenarios published');
  expect(processAlive(replaying.worker) || processAlive(replaying.ingest)).toBe(false);
});
