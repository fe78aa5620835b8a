/**
 * The demo's three attack scenarios (rules/scenarios, the shipped rules and entity mapping) through the whole
 * pipeline: MQTT → ingest → router → correlators in a `vigil worker` process. Every finding is one alert, owned by
 * the most specific entity it names (src/model/finding-owner.ts), and every other correlator that saw it links to an
 * alert that exists in the owner's correlator. Pods, hosts, users and accounts all take part.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import mqtt, { type MqttClient } from 'mqtt';
import { startIngestRole, type IngestRole } from '../../src/app/ingest-process';
import { replayScenario } from '../../src/collect/scenario-replay';
import { loadConfig } from '../../src/config';
import type { Alert } from '../../src/model/alert';
import { findingOwner } from '../../src/model/finding-owner';
import { projectRoot } from '../../src/project-root';
import { entityStateQuery, type EntityStateView } from '../../src/contracts/correlator/messages';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver';
import { eventually, sharedClient, sharedMqttUrl, sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { startVigil, type VigilProcess } from '../helpers/vigil-process';

jest.setTimeout(300_000);

const tenant = uniqueTenant('demo');
const scenarios = path.join(projectRoot, 'rules', 'scenarios');
let client: Client;
let webhook: HttpReceiver;
let ingest: IngestRole;
let publisher: MqttClient;
let worker: VigilProcess;

beforeAll(async () => {
  webhook = await startHttpReceiver();
  const env = { TEMPORAL_ADDRESS: sharedTemporalAddress(), VIGIL_TENANTS: tenant, VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-demo-')), VIGIL_WEBHOOK_URL: webhook.url };
  client = await sharedClient();
  worker = startVigil(['worker'], env);
  ingest = await startIngestRole(loadConfig({ ...process.env, ...env }), sharedMqttUrl(), client, testLogger, `g-${tenant}`);
  publisher = await mqtt.connectAsync(sharedMqttUrl(), { protocolVersion: 5 });
});

afterAll(async () => {
  if (client) {
    const running = client.workflow.list({ query: `WorkflowType = 'playbookWorkflow' AND TenantId = '${tenant}' AND ExecutionStatus = 'Running'` });
    for await (const run of running) await client.workflow.getHandle(run.workflowId).terminate('test file done').catch(() => undefined);
  }
  await publisher?.endAsync();
  await ingest?.stop();
  await worker?.stop();
  await webhook?.close();
  await client?.connection.close();
});

/** Every correlator of the tenant with its state, once the counts stop changing over a few polls. */
async function settledViews(): Promise<Map<string, EntityStateView>> {
  let last = '';
  let stable = 0;
  return eventually(async () => {
    const views = new Map<string, EntityStateView>();
    for await (const wf of client.workflow.list({ query: `WorkflowType = 'correlatorWorkflow' AND TenantId = '${tenant}' AND ExecutionStatus = 'Running'` })) {
      views.set(wf.workflowId, await client.workflow.getHandle(wf.workflowId).query(entityStateQuery));
    }
    const counts = JSON.stringify([...views].map(([id, v]) => [id, v.eventCount, v.alertCount, v.linkedAlerts.length]).sort());
    stable = counts === last && views.size > 0 ? stable + 1 : 0;
    last = counts;
    return stable >= 4 ? views : undefined;
  }, 'the pipeline quiet', 240_000, 2_000);
}

test('the demo scenarios raise one alert per finding, in its owner; every other entity links to an alert that exists', async () => {
  for (const file of readdirSync(scenarios).filter((f) => f.endsWith('.ndjson')).sort()) {
    await replayScenario({ client: publisher, tenant, file: path.join(scenarios, file), speed: 200, runId: tenant, logger: testLogger });
  }
  const views = await settledViews();
  const alerts: Alert[] = [...views.values()].flatMap((v) => v.openAlerts);
  const byId = new Map(alerts.map((a) => [a.id, a]));

  // One alert per finding (rule and events), each in the correlator of the most specific entity it names.
  const findings = alerts.map((a) => `${a.rule.id} ${a.events.map((e) => e.id).sort().join(',')}`);
  expect(new Set(findings).size).toBe(alerts.length);
  for (const a of alerts) {
    expect(a.entities[0]).toEqual(a.entity);
    if (a.kind === 'detection') expect(findingOwner(a.entities)).toEqual(a.entity);
  }
  expect(new Set(alerts.map((a) => a.entity.type))).toEqual(new Set(['pod', 'host', 'user', 'account']));

  // Every link points to an alert of the owner's correlator that names the linking entity; no linked entity raised its own.
  const linked = [...views].flatMap(([id, v]) => v.linkedAlerts.map((l) => ({ id, view: v, l })));
  expect(linked.length).toBeGreaterThan(0);
  for (const { id, view, l } of linked) {
    const alert = byId.get(l.alertId);
    expect({ id, link: l.alertId, owner: alert?.correlatorWorkflowId }).toEqual({ id, link: l.alertId, owner: l.correlatorWorkflowId });
    expect(alert!.entities).toContainEqual(view.entity);
    expect(view.openAlerts.some((a) => a.rule.id === l.rule.id && a.events.some((e) => e.id === l.eventId))).toBe(false);
  }
  testLogger.info({ alerts: alerts.length, findings: new Set(findings).size, linked: linked.length, correlators: views.size }, 'demo findings');
});
