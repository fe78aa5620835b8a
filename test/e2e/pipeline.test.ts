/**
 * One event's whole journey on real components: a collector publishes over Mosquitto → ingest
 * validates, archives, matches and routes → the pod's correlator (Temporal) records it and raises an
 * alert → a playbook child notifies a real webhook receiver and waits → `vigil approve` → the dry-run
 * containment runs and the playbook reports back to the correlator. A worker killed with SIGKILL in
 * the middle of the stream loses no event.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import mqtt, { type MqttClient } from 'mqtt';
import { startIngestRole, type IngestRole } from '../../src/app/ingest-process';
import { BatchPublisher } from '../../src/collect/batch-publisher';
import { loadConfig } from '../../src/config';
import { boundEntityId, MAX_ENTITY_ID_LENGTH } from '../../src/ingest/entity-id';
import type { PlaybookReport } from '../../src/model/playbook';
import { correlatorWorkflowId, playbookTargetWorkflowId } from '../../src/temporal/workflow-ids';
import { entityStateQuery } from '../../src/contracts/correlator/messages';
import { playbookStatusQuery } from '../../src/contracts/playbook/messages';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver';
import { approversFor, makeRulesDir, podExecEvent, podExecRule } from '../helpers/rules-dir';
import { eventually, sharedClient, sharedMqttUrl, sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { runVigil, startVigil, type VigilProcess } from '../helpers/vigil-process';

const tenant = uniqueTenant('e2e');
const pod = { namespace: 'payments', name: 'api-5d8f' };
const podWorkflowId = correlatorWorkflowId(tenant, { type: 'pod', id: `${pod.namespace}/${pod.name}` });

let client: Client;
let webhook: HttpReceiver;
let ingest: IngestRole;
let publisherClient: MqttClient;
let publisher: BatchPublisher;
let worker: VigilProcess;
let env: Record<string, string>;

beforeAll(async () => {
  const rulesDir = makeRulesDir({ 'pod-exec.yml': podExecRule });
  approversFor(rulesDir, tenant);
  webhook = await startHttpReceiver();
  env = {
    TEMPORAL_ADDRESS: sharedTemporalAddress(),
    VIGIL_TENANTS: tenant,
    VIGIL_RULES_DIR: rulesDir,
    VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-e2e-')),
    VIGIL_WEBHOOK_URL: webhook.url,
    // Containment stays dry-run through the binding's own `dryRun: true`; notifications are really sent.
    VIGIL_DRY_RUN: 'false',
  };
  client = await sharedClient();
  worker = startVigil(['worker'], env);
  const config = loadConfig({ ...process.env, ...env });
  ingest = await startIngestRole(config, sharedMqttUrl(), client, testLogger, `g-${tenant}`);
  publisherClient = await mqtt.connectAsync(sharedMqttUrl(), { protocolVersion: 5 });
  publisher = new BatchPublisher(publisherClient, { tenant, source: 'k8s_audit', collector: 'e2e', maxBatchEvents: 5, maxBatchDelayMs: 20 }, testLogger);
});

afterAll(async () => {
  if (process.env.VIGIL_TEST_SHOW_WORKER) process.stderr.write(`--- worker output ---\n${worker?.output().slice(-6000)}\n`);
  publisher?.close();
  await publisherClient?.endAsync();
  await ingest?.stop();
  await worker?.stop();
  await webhook?.close();
  await client?.connection.close();
});

function publishExec(i: number): void {
  const id = `${tenant}-exec-${i}`;
  publisher.add({ id, time: Date.now(), data: podExecEvent(id, pod.namespace, pod.name, 'mallory') });
}

test('events flow from MQTT to the correlator, a playbook waits for approval, approval completes it', async () => {
  for (let i = 0; i < 3; i++) publishExec(i);
  await publisher.flush();

  const state = await eventually(async () => {
    const s = await client.workflow.getHandle(podWorkflowId).query(entityStateQuery);
    return s.eventCount >= 3 && s.openAlerts.length > 0 ? s : undefined;
  }, 'correlator with events and an alert');
  expect(state.timeline.map((t) => t.eventId)).toEqual([`${tenant}-exec-0`, `${tenant}-exec-1`, `${tenant}-exec-2`]);
  expect(state.openAlerts).toHaveLength(1); // later matches of the same rule are suppressed
  const alert = state.openAlerts[0]!;
  expect(alert.rule.title).toBe('Test - exec into a pod');
  expect(alert.entity).toEqual({ type: 'pod', id: `${pod.namespace}/${pod.name}` });
  expect(alert.rulesetVersion).toBe(ingest.rules().version);

  // One run per (tenant, playbook, pod): every correlator's alert for this pod is attached to it.
  const playbookId = playbookTargetWorkflowId(tenant, 'quarantine-pod', `k8s.pod:${pod.namespace}/${pod.name}`);
  const playbook = client.workflow.getHandle(playbookId);
  const waiting = await eventually(async () => {
    const status = await playbook.query(playbookStatusQuery);
    return status.state === 'awaiting_approval' && status.alerts.some((a) => a.id === alert.id) ? status : undefined;
  }, 'playbook awaiting approval');
  expect(waiting.askedGroups).toEqual(['secops-oncall']);
  const request = await eventually(async () => webhook.received.find((r) => (r.body as { kind?: string; workflowId?: string }).workflowId === playbookId), 'approval request notice');
  expect(request.body).toMatchObject({ kind: 'approval_request', alert: { id: waiting.alertId } });

  // Visible to an investigator through search attributes.
  const listed = await eventually(async () => {
    const { count } = await client.workflow.count(`WorkflowType = 'correlatorWorkflow' AND TenantId = '${tenant}' AND EntityType = 'pod' AND RiskScore > 10`);
    return count > 0 ? count : undefined;
  }, 'correlator visible by risk');
  expect(listed).toBe(1);

  // The CLI reads the same alert back through Temporal.
  const listedAlerts = runVigil(['alerts', 'list', '--tenant', tenant, '--json'], env);
  expect(listedAlerts.status).toBe(0);
  const alertLines = listedAlerts.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; entity: { type: string } });
  expect(alertLines.map((a) => a.id)).toContain(alert.id);
  const shown = runVigil(['entity', 'show', tenant, 'pod', `${pod.namespace}/${pod.name}`, '--json'], env);
  expect(shown.status).toBe(0);
  expect((JSON.parse(shown.stdout) as { eventCount: number }).eventCount).toBeGreaterThanOrEqual(3);
  expect(runVigil(['entity', 'show', tenant, 'spaceship', 'x'], env).status).toBe(2);

  // The OS user running the tests is mapped to alice in the rules folder's operators.
  const approve = runVigil(['approve', playbookId, '--reason', 'confirmed malicious'], env);
  expect(approve.stderr).toBe('');
  expect(approve.status).toBe(0);

  const report = (await playbook.result()) as PlaybookReport;
  expect(report.outcome).toBe('completed');
  expect(report.decisions).toEqual([expect.objectContaining({ decision: 'approve', by: 'alice', actor: userInfo().username, via: 'cli' })]);
  expect(report.actions.join('\n')).toMatch(/dry-run/i);
  const after = await eventually(async () => {
    const s = await client.workflow.getHandle(podWorkflowId).query(entityStateQuery);
    return s.playbooks.some((p) => p.workflowId === playbookId) ? s : undefined;
  }, 'playbook report at the correlator');
  expect(after.playbooks.find((p) => p.workflowId === playbookId)!.outcome).toBe('completed');
});

test('killing the worker with SIGKILL mid-stream loses no event', async () => {
  const before = (await client.workflow.getHandle(podWorkflowId).query(entityStateQuery)).eventCount;
  for (let i = 100; i < 110; i++) publishExec(i);
  await publisher.flush();
  await worker.kill9();
  for (let i = 110; i < 130; i++) {
    publishExec(i);
    if (i % 5 === 0) await new Promise((r) => setTimeout(r, 20));
  }
  await publisher.flush();
  worker = startVigil(['worker'], env);
  const state = await eventually(async () => {
    const s = await client.workflow.getHandle(podWorkflowId).query(entityStateQuery);
    return s.eventCount >= before + 30 ? s : undefined;
  }, 'all 30 events after the restart', 90_000);
  expect(state.eventCount).toBe(before + 30);
  const ids = new Set(state.timeline.map((t) => t.eventId));
  for (let i = 100; i < 130; i++) expect(ids.has(`${tenant}-exec-${i}`)).toBe(true);
});

test('an event whose entity fields are oversized still reaches bounded correlators and raises its alert', async () => {
  // Attacker-influenced names (a pod, a user) longer than a workflow id may be: unbounded, Temporal would refuse the
  // correlator and the event could never alert.
  const longPod = { namespace: 'payments', name: `api-${'x'.repeat(1_500)}` };
  const longUser = `mallory-${'y'.repeat(3_000)}`;
  const id = `${tenant}-long-1`;
  publisher.add({ id, time: Date.now(), data: podExecEvent(id, longPod.namespace, longPod.name, longUser) });
  await publisher.flush();

  const podId = boundEntityId(`${longPod.namespace}/${longPod.name}`);
  expect(podId.length).toBeLessThanOrEqual(MAX_ENTITY_ID_LENGTH);
  expect(podId.startsWith(`${longPod.namespace}/api-xxx`)).toBe(true);
  const state = await eventually(async () => {
    const s = await client.workflow.getHandle(correlatorWorkflowId(tenant, { type: 'pod', id: podId })).query(entityStateQuery);
    return s.openAlerts.length > 0 ? s : undefined;
  }, 'an alert on the bounded pod correlator');
  expect(state.openAlerts[0]!.entity).toEqual({ type: 'pod', id: podId });
  expect(state.openAlerts[0]!.entities).toContainEqual({ type: 'user', id: boundEntityId(longUser) });
  // The user's correlator got the risk and the link (the pod owns the finding).
  const userState = await eventually(async () => {
    const s = await client.workflow.getHandle(correlatorWorkflowId(tenant, { type: 'user', id: boundEntityId(longUser) })).query(entityStateQuery);
    return s.eventCount > 0 ? s : undefined;
  }, 'the bounded user correlator');
  expect(userState.timeline.map((t) => t.eventId)).toContain(id);
});
