/**
 * `vigil hunt --to-temporal` on real components: events of three months ago collected through Mosquitto
 * into a real ingest (which had no rule for them then) are hunted by the built CLI with a new rule, and the
 * hits reach the pod's live correlator (a real `vigil worker` on the run's Temporal server) as hunt rows: in
 * its timeline and an alert, all carrying the hunt's id, with no risk left from events that old. A live
 * detection sent afterwards through the same signal path starts its playbook and notifies the webhook
 * receiver (a real HTTP server): by then the hunt's alert, applied before it by the same correlator, has
 * started no playbook and sent no notice. The hunt sends to its --tenant only.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { startRuleRuntime } from '../../src/app/rule-runtime';
import { HOUR_MS } from '../../src/ingest/archive/archive-keys';
import { EntityRouter } from '../../src/ingest/entity-router';
import { RawArchive } from '../../src/ingest/raw-archive';
import { entityStateQuery } from '../../src/contracts/correlator/messages';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver';
import { startRulelessIngest, type RulelessIngest } from '../helpers/ruleless-ingest';
import { approversFor, makeRulesDir, podExecEvent, podExecRule } from '../helpers/rules-dir';
import { eventually, sharedClient, sharedMqttUrl, sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { runVigil, runVigilAsync, startVigil, type VigilProcess } from '../helpers/vigil-process';

jest.setTimeout(180_000);

const tenant = uniqueTenant('huntlive');
const other = uniqueTenant('huntother');
const pod = { type: 'pod' as const, id: 'payments/api-1' };
const old = Date.parse('2026-09-01T08:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

let client: Client;
let webhook: HttpReceiver;
let worker: VigilProcess;
let ingest: RulelessIngest;
let archive: RawArchive;
let env: Record<string, string>;
const rulesDir = makeRulesDir({ 'pod-exec.yml': podExecRule });
const work = mkdtempSync(path.join(tmpdir(), 'vigil-hunt-temporal-'));

async function collect(t: string, count: number): Promise<void> {
  const file = path.join(work, `${t}.ndjson`);
  const lines = Array.from({ length: count }, (_, n) => JSON.stringify(podExecEvent(`${t}-old-${n}`, 'payments', 'api-1', 'mallory', new Date(old + n * 60_000))));
  writeFileSync(file, lines.join('\n') + '\n');
  const r = await runVigilAsync(['collect', 'file', '--source', 'k8s_audit', '--tenant', t, file], { MQTT_URL: sharedMqttUrl(), VIGIL_TENANTS: `${tenant},${other}` });
  expect([r.status, r.stderr]).toEqual([0, '']);
}

beforeAll(async () => {
  approversFor(rulesDir, tenant);
  webhook = await startHttpReceiver();
  env = {
    TEMPORAL_ADDRESS: sharedTemporalAddress(),
    VIGIL_TENANTS: `${tenant},${other}`,
    VIGIL_RULES_DIR: rulesDir,
    VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-hunt-temporal-data-')),
    VIGIL_WEBHOOK_URL: webhook.url,
    VIGIL_DRY_RUN: 'false',
  };
  client = await sharedClient();
  worker = startVigil(['worker'], env);
  // Ingest ran without the rule when these events arrived: it archived them and detected nothing.
  archive = new RawArchive(path.join(env['VIGIL_DATA_DIR']!, 'archive'));
  ingest = await startRulelessIngest(client, archive, [tenant, other]);
  await collect(tenant, 5);
  await collect(other, 5);
  await eventually(async () => (ingest.service.stats.events >= 10 ? true : undefined), `10 events archived (${JSON.stringify(ingest.service.stats)})`, 30_000, 100);
});

afterAll(async () => {
  if (process.env.VIGIL_TEST_SHOW_WORKER) process.stderr.write(`--- worker output ---\n${worker?.output().slice(-6000)}\n`);
  await ingest?.stop();
  await archive?.close();
  if (client) {
    for await (const run of client.workflow.list({ query: `TenantId = '${tenant}' AND ExecutionStatus = 'Running'` })) {
      await client.workflow.getHandle(run.workflowId).terminate('test done').catch(() => undefined);
    }
  }
  await worker?.stop();
  await webhook?.close();
  await client?.connection.close();
});

test('hunt hits reach the live correlator as hunt rows and alerts, start no playbook and notify nobody', async () => {
  const hunted = await runVigilAsync(
    ['hunt', '--rules', path.join(rulesDir, 'sigma'), '--tenant', tenant, '--from', iso(old - HOUR_MS), '--to', iso(old + HOUR_MS), '--json', '--to-temporal'],
    { ...env, LOG_LEVEL: 'info' },
  );
  expect(hunted.status).toBe(0);
  expect(hunted.stdout.trim().split('\n')).toHaveLength(5);
  const done = JSON.parse(hunted.stderr.split('\n').find((l) => l.includes('"msg":"hunt done"'))!) as { sent: { huntId: string; events: number } };
  const huntId = done.sent.huntId;
  expect(done.sent.events).toBe(5);

  const correlator = client.workflow.getHandle(correlatorWorkflowId(tenant, pod));
  const hunt = await eventually(async () => {
    const s = await correlator.query(entityStateQuery).catch(() => undefined);
    return s && s.timeline.length >= 5 && s.openAlerts.length > 0 ? s : undefined;
  }, 'hunt rows in the correlator');
  expect(hunt.timeline.map((t) => [t.eventId, t.time, t.huntId])).toEqual(Array.from({ length: 5 }, (_, n) => [`${tenant}-old-${n}`, old + n * 60_000, huntId]));
  expect(hunt.openAlerts).toHaveLength(1); // repeats within the hunt are suppressed, as live ones are
  const huntAlert = hunt.openAlerts[0]!;
  expect(huntAlert).toMatchObject({ huntId, rule: { title: 'Test - exec into a pod' }, firstSeen: old });
  expect(hunt.riskScore).toBe(0); // three months of decay leave nothing of a high rule's 25
  expect(hunt.playbooks).toEqual([]);
  expect(hunt.rulesetVersion).toBe(''); // a hunt's rule set is not the live one

  const shown = runVigil(['entity', 'show', tenant, pod.type, pod.id], env);
  expect(shown.status).toBe(0);
  expect(shown.stdout).toContain(`[${huntId}] Test - exec into a pod`);
  expect(shown.stdout).toContain(`${huntId}: retro-hunt, no playbook`);

  // The other tenant's archive holds the same pod's events: the hunt read and sent none of them.
  await expect(client.workflow.getHandle(correlatorWorkflowId(other, pod)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

  // A live detection for the same pod, through the same signal path: its alert starts the playbook, which notifies.
  const liveRuntime = await startRuleRuntime({ VIGIL_RULES_DIR: rulesDir }, testLogger);
  const liveVersion = liveRuntime.ruleSet().version;
  try {
    const data = podExecEvent(`${tenant}-live`, 'payments', 'api-1', 'mallory');
    const rules = liveRuntime.ruleSet().match(data, 'k8s_audit');
    const detection = liveRuntime.builder().build(tenant, 'k8s_audit', { id: `${tenant}-live`, time: Date.now(), data }, rules, liveRuntime.ruleSet().version);
    await new EntityRouter(client, testLogger).route(tenant, [detection]);
  } finally {
    liveRuntime.close();
  }
  const live = await eventually(async () => {
    const s = await correlator.query(entityStateQuery);
    return s.openAlerts.find((a) => a.huntId === undefined);
  }, 'the live alert');
  const notice = await eventually(async () => webhook.received.find((r) => JSON.stringify(r.body).includes(live.id)), "the live alert's playbook notice");
  expect(notice.body).toMatchObject({ kind: 'approval_request' });

  // The hunt's alert was applied first, by the same correlator: had it started a playbook, it would be there by now.
  expect(webhook.received.filter((r) => JSON.stringify(r.body).includes(huntAlert.id))).toEqual([]);
  const { count } = await client.workflow.count(`WorkflowType = 'playbookWorkflow' AND AlertId = '${huntAlert.id}'`);
  expect(count).toBe(0);
  const after = await correlator.query(entityStateQuery);
  expect(after.timeline.filter((t) => t.huntId === huntId)).toHaveLength(5);
  expect(after.rulesetVersion).toBe(liveVersion);
});
