/**
 * The three demo scenarios (rules/scenarios/*.ndjson) through the real pipeline, as `vigil dev` replays them for one
 * tenant: published over Mosquitto → ingest (validate, archive, match, route) → correlators on Temporal (a `vigil
 * worker` process with the shipped rules) → each alert routed to the tenant's incident router. Each scenario must
 * become exactly one incident holding every alert it raised, and no incident may mix scenarios. The counts are
 * printed for the report.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import mqtt, { type MqttClient } from 'mqtt';
import { startIngestRole, type IngestRole } from '../../src/app/ingest-process';
import { listAlerts } from '../../src/cli/investigate';
import { replayScenario } from '../../src/collect/scenario-replay';
import { loadConfig } from '../../src/config';
import { incidentStateQuery, type IncidentView } from '../../src/contracts/incident/messages';
import type { Alert } from '../../src/model/alert';
import { projectRoot } from '../../src/project-root';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver';
import { approversFor } from '../helpers/rules-dir';
import { eventually, sharedClient, sharedMqttUrl, sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { startVigil, type VigilProcess } from '../helpers/vigil-process';

jest.setTimeout(300_000);

const tenant = uniqueTenant('scen');
const scenarios = ['aws-credential-compromise', 'k8s-pod-compromise', 'linux-host-compromise'];

let client: Client;
let webhook: HttpReceiver;
let ingest: IngestRole;
let publisher: MqttClient;
let worker: VigilProcess;

beforeAll(async () => {
  const rulesDir = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-scen-')), 'rules');
  cpSync(path.join(projectRoot, 'rules'), rulesDir, { recursive: true });
  approversFor(rulesDir, tenant);
  webhook = await startHttpReceiver();
  const env = {
    TEMPORAL_ADDRESS: sharedTemporalAddress(),
    VIGIL_TENANTS: tenant,
    VIGIL_RULES_DIR: rulesDir,
    VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-scen-data-')),
    VIGIL_WEBHOOK_URL: webhook.url,
  };
  client = await sharedClient();
  worker = startVigil(['worker'], env);
  ingest = await startIngestRole(loadConfig({ ...process.env, ...env }), sharedMqttUrl(), client, testLogger, `g-${tenant}`);
  publisher = await mqtt.connectAsync(sharedMqttUrl(), { protocolVersion: 5 });
});

afterAll(async () => {
  await publisher?.endAsync();
  await ingest?.stop();
  await worker?.stop();
  await webhook?.close();
  await client?.connection.close();
});

const scenarioOf = (alert: Alert): string => alert.events[0]!.id.split(':')[0]!;

async function liveIncidents(): Promise<IncidentView[]> {
  const views: IncidentView[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'incidentWorkflow' AND TenantId = '${tenant}'` })) {
    const view = await client.workflow.getHandle(wf.workflowId).query(incidentStateQuery);
    if (view.status !== 'merged') views.push(view);
  }
  return views;
}

interface Snapshot {
  alerts: Alert[];
  incidents: IncidentView[];
  key: string;
}

/** Every open alert routed and every routed alert in a live incident; `key` compares two snapshots. */
async function settled(): Promise<Snapshot | undefined> {
  const alerts = await listAlerts(client, tenant);
  if (alerts.length === 0 || alerts.some((a) => a.incident === undefined)) return undefined;
  const incidents = await liveIncidents();
  const held = new Set(incidents.flatMap((i) => i.alerts.map((a) => a.id)));
  if (alerts.some((a) => !held.has(a.id))) return undefined;
  const key = JSON.stringify([alerts.map((a) => a.id).sort(), incidents.map((i) => [i.id, i.alertCount]).sort()]);
  return { alerts, incidents, key };
}

test('each demo scenario becomes exactly one incident through MQTT → ingest → Temporal', async () => {
  const runId = Date.now().toString(36);
  await Promise.all(
    scenarios.map((name) => replayScenario({ client: publisher, tenant, file: path.join(projectRoot, 'rules', 'scenarios', `${name}.ndjson`), speed: 50, runId, logger: testLogger })),
  );

  // Quiet: every scenario raised alerts, and two consecutive settled snapshots agree.
  let previous = '';
  const final = await eventually(
    async () => {
      const now = await settled();
      const same = now !== undefined && now.key === previous;
      previous = now?.key ?? '';
      return same && new Set(now.alerts.map(scenarioOf)).size === scenarios.length ? now : undefined;
    },
    'alerts of every scenario routed to incidents, and quiet',
    240_000,
    2_000,
  );

  const byScenario = new Map(scenarios.map((s) => [s, final.alerts.filter((a) => scenarioOf(a) === s)]));
  const incidentOf = new Map(final.incidents.flatMap((i) => i.alerts.map((a) => [a.id, i.id] as const)));
  const counts = scenarios.map((s) => {
    const alerts = byScenario.get(s)!;
    const incidents = new Set(alerts.map((a) => incidentOf.get(a.id)));
    return { scenario: s, alerts: alerts.length, incidents: incidents.size, incident: [...incidents][0]! };
  });
  process.stdout.write(`scenario incidents: ${JSON.stringify({ counts, live: final.incidents.map((i) => ({ id: i.id, alerts: i.alertCount, severity: i.severity, tactics: i.tactics, entities: i.entities.length })) })}\n`);
  for (const c of counts) {
    expect(c.alerts).toBeGreaterThan(0);
    expect(c.incidents).toBe(1);
  }
  // Three scenarios, three incidents: none mixes scenarios.
  expect(new Set(counts.map((c) => c.incident)).size).toBe(3);
  expect(final.incidents).toHaveLength(3);
});
