/**
 * Shadow rules, verdicts and rule statistics on a real Temporal dev server and a real Mosquitto, through a real
 * ingest (archive included) and the built CLI:
 *   - a `vigil.shadow: true` Sigma rule's matches become would-be alerts, one per finding (src/model/finding-owner.ts):
 *     in the owning pod's correlator view and timeline and in the tenant's rule statistics, the user's correlator
 *     linking to it (a verdict sent there is refused naming the owner), never starting a playbook nor sending a
 *     notice (a live rule bound to the same webhook playbook does, in the same run);
 *   - verdicts move the statistics, which outlive the correlator that raised the alert (it completed);
 *   - `vigil rules stats`, `vigil rules suggest-filter` (its output lints and turns the alert's event into a
 *     nomatch) and `vigil rules promote` (refuses poor evidence with exit 1, promotes with --force or good evidence);
 *   - verdicts from the CLI (`vigil alerts verdict`) and the HTTP API, each scoped to the caller's tenants.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { buildChatopsApp } from '../../src/chatops/app';
import { entityStateQuery, verdictUpdate, type EntityStateView } from '../../src/contracts/correlator/messages';
import { ruleStatsQuery, type RuleStatsRow } from '../../src/contracts/rule-stats/messages';
import { EntityRouter } from '../../src/ingest/entity-router';
import { startIngest, type IngestService } from '../../src/ingest/ingest-service';
import { RawArchive } from '../../src/ingest/raw-archive';
import type { Alert } from '../../src/model/alert';
import type { EntityRef } from '../../src/model/entity';
import { loadResponseConfig } from '../../src/response/response-config';
import { correlatorWorkflowId, playbookWorkflowId, ruleStatsWorkflowId } from '../../src/temporal/workflow-ids';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver';
import { approversFor, podExecEvent, podExecRule } from '../helpers/rules-dir';
import { eventually, sharedMqttUrl, sharedTemporalAddress } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { runVigilAsync } from '../helpers/vigil-process';
import { startCorrelatorHarness, type CorrelatorHarness } from './correlator-harness';
import { ruleRef } from './test-rules';

jest.setTimeout(180_000);

const POD_EXEC_ID = '0f7d8a52-7c1e-4d0b-9a51-2f4a1c9e0b01';
const shadowPodExec = podExecRule.replace('status: test\n', 'status: test\nvigil.shadow: true\n');
// Both rules bound to one playbook that opens a ticket (a real HTTP receiver): the live one proves the playbook path
// runs in this worker. (Pod execs also match the shipped quarantine-pod binding, tagged attack.execution.)
const bindings = `bindings:
  - playbook: shadow-notice
    match: { ruleNames: [test_pod_exec, t_exec] }
    params: { notify: [webhook], ticket: true }
`;

let h: CorrelatorHarness;
let receiver: HttpReceiver;
let ingest: IngestService;
let archive: RawArchive;
const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-shadow-data-'));
const work = mkdtempSync(path.join(tmpdir(), 'vigil-shadow-'));
let rulesDir = '';
const cli = (args: string[], env: Record<string, string> = {}) => runVigilAsync(args, { TEMPORAL_ADDRESS: sharedTemporalAddress(), ...env });
const user = (name: string): EntityRef => ({ type: 'user', id: name });
const pod = (name: string): EntityRef => ({ type: 'pod', id: `prod/${name}` });

async function stats(): Promise<RuleStatsRow[]> {
  try {
    return (await h.client.workflow.getHandle(ruleStatsWorkflowId(h.tenant)).query(ruleStatsQuery)).rules;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [];
    throw err;
  }
}
const statsWhen = (ready: (row: RuleStatsRow) => boolean, ruleId: string, what: string) =>
  eventually(async () => (await stats()).find((r) => r.ruleId === ruleId && ready(r)), what);
const viewOf = (entity: EntityRef): Promise<EntityStateView> => h.client.workflow.getHandle(correlatorWorkflowId(h.tenant, entity)).query(entityStateQuery);

beforeAll(async () => {
  receiver = await startHttpReceiver();
  h = await startCorrelatorHarness('shadow', sharedTemporalAddress(), {
    responseFiles: { 'shadow.yml': bindings },
    prepareRules: (dir) => {
      rulesDir = dir;
      writeFileSync(path.join(dir, 'sigma', 'pod-exec.yml'), shadowPodExec);
    },
    activities: { dryRun: false, webhookUrl: `${receiver.url}/notices`, ticketWebhookUrl: `${receiver.url}/tickets` },
  });
  archive = new RawArchive(path.join(dataDir, 'archive'));
  ingest = await startIngest({
    mqttUrl: sharedMqttUrl(),
    clientId: `ingest-${h.tenant}`,
    shareGroup: `g-${h.tenant}`,
    connections: 1,
    tenants: [h.tenant],
    rules: h.rules.ruleSet,
    builder: h.rules.builder,
    router: new EntityRouter(h.client, testLogger),
    archive,
    stateDir: mkdtempSync(path.join(tmpdir(), 'vigil-shadow-state-')),
    logger: testLogger,
  });
  // Two pod execs by two users: each raises one would-be alert, in its pod's correlator (the owner); the user's links to it.
  const events = path.join(work, 'events.ndjson');
  const at = new Date();
  writeFileSync(events, [podExecEvent(`${h.tenant}-e1`, 'prod', 'web-1', 'alice', at), podExecEvent(`${h.tenant}-e2`, 'prod', 'web-2', 'bob', at)].map((e) => JSON.stringify(e)).join('\n') + '\n');
  const collected = await runVigilAsync(['collect', 'file', '--source', 'k8s_audit', '--tenant', h.tenant, events], { MQTT_URL: sharedMqttUrl(), VIGIL_TENANTS: h.tenant });
  expect([collected.status, collected.stderr]).toEqual([0, '']);
});

afterAll(async () => {
  await ingest?.stop();
  await archive?.close();
  await h?.close();
  await receiver?.close();
});

describe('a shadow rule', () => {
  let aliceAlert: Alert;

  test('records would-be alerts in the view, timeline and statistics, and starts no playbook and sends no notice', async () => {
    const view = await eventually(async () => {
      const v = await viewOf(pod('web-1')).catch(() => undefined);
      return v && v.shadowAlerts.length === 1 ? v : undefined;
    }, "alice's would-be alert in pod web-1");
    aliceAlert = view.shadowAlerts[0]!;
    expect(aliceAlert).toMatchObject({ shadow: true, status: 'open', rule: { id: POD_EXEC_ID, shadow: true }, entity: pod('web-1') });
    expect(aliceAlert.entities).toContainEqual(user('alice'));
    expect(view.openAlerts).toEqual([]);
    expect(view.riskScore).toBe(0);
    expect(view.timeline.map((t) => t.shadowRules)).toEqual([['Test - exec into a pod']]);
    // alice's correlator raised none: its timeline row and `linkedAlerts` point to the pod's alert.
    const alice = await eventually(async () => {
      const v = await viewOf(user('alice')).catch(() => undefined);
      return v && v.linkedAlerts.length === 1 ? v : undefined;
    }, "alice's link to the would-be alert");
    expect([alice.shadowAlerts, alice.openAlerts, alice.riskScore]).toEqual([[], [], 0]);
    expect(alice.linkedAlerts[0]).toMatchObject({ alertId: aliceAlert.id, correlatorWorkflowId: aliceAlert.correlatorWorkflowId, owner: pod('web-1'), rule: { id: POD_EXEC_ID } });
    expect(alice.timeline.map((t) => [t.shadowRules, t.linkedAlerts])).toEqual([[['Test - exec into a pod'], [{ alertId: aliceAlert.id, correlatorWorkflowId: aliceAlert.correlatorWorkflowId }]]]);
    // Two findings (two pods, two users): two would-be alerts, one per finding, not one per entity.
    await statsWhen((r) => r.shadowAlerts === 2, POD_EXEC_ID, 'two would-be alerts counted');

    // A live rule bound to the same playbook, in the same worker: its ticket arrives.
    const live = { type: 'host', id: 'live-1' } as const;
    await h.send(live, 'live-1', [h.det(`${h.tenant}-x1`, 't_exec', live, Date.now())]);
    const liveView = await h.stateWhen(live, (v) => v.openAlerts.length === 1, 'live alert');
    await eventually(async () => (receiver.received.some((r) => r.path.endsWith('/tickets') && JSON.stringify(r.body).includes(liveView.openAlerts[0]!.id)) ? true : undefined), 'live ticket');

    // The correlator that raised the would-be alert recorded no child workflow, and no ticket or notice names it.
    const history = (await h.client.workflow.getHandle(aliceAlert.correlatorWorkflowId).fetchHistory()).events ?? [];
    expect(history.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toHaveLength(0);
    // Nor was it routed to an incident, as the live alert was before its playbook started.
    expect((await h.state(live)).openAlerts[0]!.incident).toBeDefined();
    expect((await viewOf(pod('web-1'))).shadowAlerts[0]!.incident).toBeUndefined();
    expect(history.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'routeAlertToIncident')).toEqual([]);
    await expect(h.client.workflow.getHandle(playbookWorkflowId(aliceAlert.id, 'shadow-notice')).describe()).rejects.toThrow(WorkflowNotFoundError);
    expect(receiver.received.filter((r) => JSON.stringify(r.body).includes('exec into a pod'))).toEqual([]);
  });

  test('verdicts change the statistics, and `vigil rules stats` shows them', async () => {
    // Sent to the linked entity, the verdict is refused naming the owner's correlator; the statistics do not move.
    await expect(h.client.workflow.getHandle(correlatorWorkflowId(h.tenant, user('alice'))).executeUpdate(verdictUpdate, { args: [{ alertId: aliceAlert.id, verdict: 'true_positive', by: 'alice' }] })).rejects.toMatchObject({
      cause: { type: 'VGL_UPDATE_REJECTED', message: expect.stringContaining(`is owned by ${aliceAlert.correlatorWorkflowId}`) },
    });
    await h.client.workflow.getHandle(aliceAlert.correlatorWorkflowId).executeUpdate(verdictUpdate, { args: [{ alertId: aliceAlert.id, verdict: 'false_positive', by: 'alice' }] });
    await statsWhen((r) => r.falsePositives === 1 && r.truePositives === 0, POD_EXEC_ID, 'one false positive');
    const shown = await cli(['rules', 'stats', '--tenant', h.tenant, '--json']);
    expect(shown.status).toBe(0);
    const row = shown.stdout.trim().split('\n').map((l) => JSON.parse(l) as RuleStatsRow & { precision: number | null }).find((r) => r.ruleId === POD_EXEC_ID);
    expect(row).toMatchObject({ alerts: 0, shadowAlerts: 2, truePositives: 0, falsePositives: 1, precision: 0, shadow: true });
    const text = await cli(['rules', 'stats', '--tenant', h.tenant]);
    expect(text.stdout).toMatch(/noisiest \(most false positives\):\n\s+0\s+2\s+0\s+1\s+0%\s+Test - exec into a pod/);
  });

  test('statistics survive the correlator completing, and a changed verdict moves its count', async () => {
    const quiet = { type: 'host', id: 'quiet-1' } as const;
    const det = h.det(`${h.tenant}-q1`, 't_exec', quiet, Date.now());
    det.rules = [{ ...ruleRef('t_exec'), shadow: true }];
    await h.send(quiet, 'q1', [det], { quietPeriod: '2s' });
    const alert = (await h.stateWhen(quiet, (v) => v.shadowAlerts.length === 1, 'quiet would-be alert')).shadowAlerts[0]!;
    await h.handle(quiet).executeUpdate(verdictUpdate, { args: [{ alertId: alert.id, verdict: 'false_positive', by: 'bob' }] });
    await h.handle(quiet).executeUpdate(verdictUpdate, { args: [{ alertId: alert.id, verdict: 'true_positive', by: 'bob' }] });
    // A would-be alert holds nothing open: the correlator completes after its quiet period.
    await h.handle(quiet).result();
    const row = await statsWhen((r) => r.truePositives === 1, ruleRef('t_exec').id, 'verdict moved to true positive');
    expect(row).toMatchObject({ alerts: 1, shadowAlerts: 1, truePositives: 1, falsePositives: 0 });
  });
});

describe('vigil rules suggest-filter', () => {
  test("writes a filter that lints and makes the alert's event a nomatch; another tenant cannot read the alert", async () => {
    const alert = (await viewOf(pod('web-1'))).shadowAlerts[0]!;
    const out = mkdtempSync(path.join(work, 'suggest-'));
    const rule = path.join(rulesDir, 'sigma', 'pod-exec.yml');
    const suggested = await cli(['rules', 'suggest-filter', alert.id, '--tenant', h.tenant, '--rules', rule, '--archive', path.join(dataDir, 'archive'), '--out', out]);
    expect([suggested.status, suggested.stderr]).toEqual([0, '']);
    expect(suggested.stdout).toContain('filter on user.username, objectRef.namespace, objectRef.name');
    const filterFile = /: (\S+\.yml)\n/.exec(suggested.stdout)![1]!;
    const filter = readFileSync(filterFile, 'utf8');
    expect(filter).toContain(`    - "${POD_EXEC_ID}"`);
    expect(filter).toMatch(/condition: not filter_fp_\w+/);
    expect(readFileSync(path.join(out, 'tests', 'pod-exec', 'nomatch.ndjson'), 'utf8')).toContain(`"auditID":"${h.tenant}-e1"`);

    const lint = await cli(['rules', 'lint', rule, filterFile]);
    expect([lint.status, lint.stdout]).toEqual([0, expect.not.stringContaining('VGL_')]);
    const tested = await cli(['rules', 'test', rule, filterFile, '--tests', path.join(out, 'tests')]);
    expect([tested.status, tested.stdout]).toEqual([0, expect.stringContaining('PASS pod-exec (0 match, 1 nomatch)')]);
    // Without the filter the same regression event matches: the test fails.
    const unfiltered = await cli(['rules', 'test', rule, '--tests', path.join(out, 'tests')]);
    expect([unfiltered.status, unfiltered.stdout]).toEqual([1, expect.stringContaining('FAIL pod-exec')]);
    // bob's event differs in the filtered fields: the filter does not hide it.
    const bob = JSON.stringify(podExecEvent('b', 'prod', 'web-2', 'bob'));
    writeFileSync(path.join(out, 'tests', 'pod-exec', 'match.ndjson'), `${bob}\n`);
    const both = await cli(['rules', 'test', rule, filterFile, '--tests', path.join(out, 'tests')]);
    expect(both.stdout).toContain('PASS pod-exec (1 match, 1 nomatch)');

    const other = await cli(['rules', 'suggest-filter', alert.id, '--tenant', `${h.tenant}-other`, '--rules', rule, '--archive', path.join(dataDir, 'archive'), '--out', out]);
    expect([other.status, other.stderr]).toEqual([2, expect.stringContaining('VGL_ALERT_NOT_FOUND')]);
  });
});

describe('vigil rules promote', () => {
  let dir = '';
  let file = '';
  beforeEach(() => {
    dir = mkdtempSync(path.join(work, 'promote-'));
    cpSync(path.join(rulesDir, 'sigma'), path.join(dir, 'sigma'), { recursive: true });
    file = path.join(dir, 'sigma', 'pod-exec.yml');
  });
  const promote = (...flags: string[]) => cli(['rules', 'promote', 'test_pod_exec', '--rules', dir, '--tenant', h.tenant, ...flags]);

  test('refuses poor evidence with exit 1 and VGL_PROMOTE_EVIDENCE, leaving the file as it was', async () => {
    const few = await promote(); // 2 alerts < 5, 1 verdict < 3, precision 0%
    expect(few.status).toBe(1);
    expect(few.stdout).toContain('evidence in tenant');
    expect(few.stdout).toContain('2 would-be alerts, 0 live alerts, 0 true positives, 1 false positives, precision 0%');
    expect(few.stdout).toMatch(/VGL_PROMOTE_EVIDENCE: not promoted: 2 alerts observed, fewer than 5.*1 verdicts, fewer than 3.*precision 0% below 80%/);
    // Enough alerts and verdicts asked, but precision still fails it.
    const imprecise = await promote('--min-alerts', '2', '--min-verdicts', '1');
    expect([imprecise.status, imprecise.stdout]).toEqual([1, expect.stringMatching(/VGL_PROMOTE_EVIDENCE: not promoted: precision 0% below 80%/)]);
    expect(readFileSync(file, 'utf8')).toBe(shadowPodExec);
  });

  test('promotes with --force: the vigil.shadow line goes, every other byte stays', async () => {
    const forced = await promote('--force');
    expect([forced.status, forced.stdout]).toEqual([0, expect.stringContaining('promoted:')]);
    expect(readFileSync(file, 'utf8')).toBe(podExecRule);
    const again = await promote('--force');
    expect([again.status, again.stderr]).toEqual([2, expect.stringContaining('VGL_PROMOTE_RULE')]);
  });

  test('promotes on good evidence (a true positive set with `vigil alerts verdict`)', async () => {
    const bob = (await viewOf(pod('web-2'))).shadowAlerts[0]!;
    // bob's correlator links to this alert (the id the CLI is given): the verdict reaches the owner, the pod.
    expect((await viewOf(user('bob'))).linkedAlerts.map((l) => l.alertId)).toEqual([bob.id]);
    // The OS user running the tests is operator alice, who serves this tenant only.
    approversFor(rulesDir, h.tenant);
    const env = { VIGIL_RULES_DIR: rulesDir };
    const elsewhere = await cli(['alerts', 'verdict', bob.id, 'tp', '--tenant', `${h.tenant}-other`], env);
    expect([elsewhere.status, elsewhere.stderr]).toEqual([2, expect.stringContaining('VGL_ALERT_NOT_FOUND')]);
    const set = await cli(['alerts', 'verdict', bob.id, 'tp', '--tenant', h.tenant, '--note', 'confirmed with the team'], env);
    expect([set.status, set.stdout]).toEqual([0, `${bob.id} (Test - exec into a pod) is now true_positive\n`]);
    expect((await viewOf(pod('web-2'))).analystActions.map((a) => a.summary)).toEqual([`true_positive on ${bob.id} (Test - exec into a pod): confirmed with the team`]);
    await statsWhen((r) => r.truePositives === 1, POD_EXEC_ID, 'one true positive');
    const good = await promote('--min-alerts', '2', '--min-verdicts', '2', '--min-precision', '0.5');
    expect([good.status, good.stdout]).toEqual([0, expect.stringContaining('precision 50%')]);
    expect(readFileSync(file, 'utf8')).toBe(podExecRule);
  });
});

describe('the HTTP API verdict', () => {
  test('sets a verdict in a tenant the token serves; another tenant is not found, a bad body is refused', async () => {
    approversFor(rulesDir, h.tenant); // alice serves this tenant only
    const app = buildChatopsApp({
      logger: testLogger,
      client: h.client,
      responses: loadResponseConfig(path.join(rulesDir, 'responses')).config,
      slackResponseOrigins: [],
      apiTokens: new Map([['token-of-alice-for-tests', 'alice']]),
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const post = (alertId: string, body: unknown, token = 'token-of-alice-for-tests') =>
        fetch(`${url}/api/v1/alerts/${alertId}/verdict`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      // bob's would-be alert (pod web-2), a true positive since `vigil alerts verdict`: the HTTP verdict moves it.
      const alert = (await viewOf(pod('web-2'))).shadowAlerts[0]!;
      const set = await post(alert.id, { tenant: h.tenant, verdict: 'false_positive', note: 'load test' });
      expect([set.status, ((await set.json()) as Alert).status]).toEqual([200, 'false_positive']);
      await statsWhen((r) => r.falsePositives === 2 && r.truePositives === 0, POD_EXEC_ID, 'the HTTP false positive counted');
      const elsewhere = await post(alert.id, { tenant: `${h.tenant}-other`, verdict: 'true_positive' });
      expect([elsewhere.status, await elsewhere.json()]).toEqual([404, expect.objectContaining({ code: 'VGL_ALERT_NOT_FOUND' })]);
      const bad = await post(alert.id, { tenant: h.tenant, verdict: 'maybe' });
      expect([bad.status, await bad.json()]).toEqual([400, expect.objectContaining({ code: 'VGL_CHATOPS_PAYLOAD' })]);
      expect((await post(alert.id, { tenant: h.tenant, verdict: 'true_positive' }, 'not-a-token')).status).toBe(401);
    } finally {
      await app.close();
    }
  });
});
