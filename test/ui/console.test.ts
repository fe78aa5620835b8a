/**
 * The Temporal UI as the console, in a real browser: headless Chromium (puppeteer-core) opens a correlator's page and
 * a playbook run's page on a dev server started with its Web UI and Vigil's codec endpoint (as `vigil dev` starts
 * them), and reads what an analyst reads there: the entity card the correlator keeps as its current details (risk,
 * the alert with its ATT&CK tags and incident, the timeline), the playbook's details (waiting for approval, approvers,
 * target) and the alert's incident card (severity, tactics, the alert, the entities), reached by the card's link.
 *
 * With VIGIL_TEST_SCREENSHOTS_DIR set (`npm run screenshots`), it also stores the pages as PNG for the README.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { correlatorSummary } from '../../src/contracts/correlator/ui-link';
import { incidentStateQuery } from '../../src/contracts/incident/messages';
import { playbookStatusQuery } from '../../src/contracts/playbook/messages';
import type { EntityRef } from '../../src/model/entity';
import { startCodecServer, type CodecServer } from '../../src/temporal/codec-server';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { correlatorWorkflowId, playbookTargetWorkflowId } from '../../src/temporal/workflow-ids';
import { launchChromium } from '../helpers/chromium';
import { freePort } from '../helpers/mosquitto';
import { approversFor } from '../helpers/rules-dir';
import { eventually } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { incidentSummary } from '../../workflows/incident/incident-card';
import { startCorrelatorHarness, type CorrelatorHarness } from '../workflows/correlator-harness';

const bindingsYaml = `
bindings:
  - playbook: quarantine-pod
    match: { ruleNames: [t_exec], sources: [k8s_audit] }
    params:
      notify: []
      approval: { groups: [secops-oncall, secops-leads], timeout: 1h }
      containment: [{ action: k8s.isolatePod }]
`;

let codec: CodecServer;
let server: DevServer;
let h: CorrelatorHarness;
let browser: Browser;
let uiUrl: string;

beforeAll(async () => {
  // The browser is launched first: without Chromium the file fails at once, saying how to install it.
  browser = await launchChromium();
  const uiPort = await freePort();
  uiUrl = `http://localhost:${uiPort}`;
  codec = await startCodecServer({ port: await freePort(), allowedOrigin: uiUrl, logger: testLogger });
  server = await startDevServer({ logger: testLogger, namespace: 'default', uiPort, codecEndpoint: codec.url });
  h = await startCorrelatorHarness('uicons', server.address, {
    uiBaseUrl: uiUrl,
    prepareRules: (rulesDir, tenant) => {
      approversFor(rulesDir, tenant);
      writeFileSync(path.join(rulesDir, 'responses', 'bindings.yml'), bindingsYaml);
    },
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
  await server?.stop();
  await codec?.close();
});

const screenshotsDir = process.env.VIGIL_TEST_SCREENSHOTS_DIR;

/** The page's text, read in the browser (tests compile without the DOM library). */
type InPage = { document: { body: { innerText: string } | null } };

/** The text of the page and of its frames (the UI renders current details in a frame of their own). */
async function visibleText(page: Page): Promise<string> {
  const texts = await Promise.all(page.frames().map((frame) => frame.evaluate(() => (globalThis as unknown as InPage).document.body?.innerText ?? '').catch(() => '')));
  return texts.join('\n');
}

/**
 * Opens a workflow's page, its User Metadata tab (summary, current details, the summaries of timers, activities and
 * children), and waits until every one of `texts` is visible (the UI loads current details by query, a moment later).
 */
async function openWorkflowPage(workflowId: string, texts: string[]): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`, { waitUntil: 'networkidle2' });
  const tab = await page.waitForSelector('::-p-text(User Metadata)', { timeout: 30_000 });
  await tab!.click();
  let shown = '';
  await eventually(async () => {
    shown = await visibleText(page);
    return texts.every((text) => shown.includes(text)) ? true : undefined;
  }, `${JSON.stringify(texts)} on ${workflowId}'s page`).catch((err: Error) => {
    throw new Error(`${err.message}: the page at ${page.url()} never showed all of ${JSON.stringify(texts)}; it shows:\n${shown.slice(0, 4000)}`);
  });
  return page;
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (!screenshotsDir) return;
  mkdirSync(screenshotsDir, { recursive: true });
  writeFileSync(path.join(screenshotsDir, name), await page.screenshot({ type: 'png', fullPage: false }));
}

test("a correlator's page shows its entity card; the playbook awaiting approval shows what it waits for; the incident shows its card", async () => {
  const pod: EntityRef = { type: 'pod', id: 'shop/web-1' };
  const now = Date.now();
  const recon = { ...h.det('ev-recon', 't_recon', pod, now - 2_000, 'mallory'), summary: 'mallory ran uname -a in shop/web-1' };
  const exec = {
    ...h.det('ev-exec', 't_exec', pod, now, 'mallory'),
    source: 'k8s_audit' as const,
    fields: { verb: 'create', 'objectRef.resource': 'pods', 'objectRef.subresource': 'exec', 'objectRef.namespace': 'shop', 'objectRef.name': 'web-1', 'user.username': 'mallory' },
    entities: [pod, { type: 'user' as const, id: 'mallory' }],
    summary: 'mallory exec into shop/web-1',
  };
  await h.send(pod, 'batch-1', [recon, exec]);
  // The alert once routed: its incident is recorded before its playbooks start.
  const view = await h.stateWhen(pod, (v) => v.openAlerts.length === 1 && v.openAlerts[0]!.incident !== undefined, 'the exec alert in its incident');
  const alert = view.openAlerts[0]!;
  const incidentRef = alert.incident!;
  const run = h.client.workflow.getHandle(playbookTargetWorkflowId(h.tenant, 'quarantine-pod', 'k8s.pod:shop/web-1'));
  await eventually(async () => ((await run.query(playbookStatusQuery).catch(() => undefined))?.state === 'awaiting_approval' ? true : undefined), 'the playbook awaiting approval');

  const correlatorPage = await openWorkflowPage(correlatorWorkflowId(h.tenant, pod), [
    `Risk ${view.riskScore} of 100`,
    'Test t_exec',
    alert.id,
    'T1059',
    'mallory exec into shop/web-1',
    'user mallory',
    'quarantine-pod',
    `incident ${incidentRef.id}`,
    // The run's static summary and the summaries of its local activity, child and timer.
    correlatorSummary(h.tenant, pod),
    'correlation rules and playbook bindings for pod shop/web-1',
    'quarantine-pod on k8s.pod:shop/web-1 for high alert',
    'quiet period (24h)',
  ]);
  await screenshot(correlatorPage, 'correlator-entity.png');

  const playbookPage = await openWorkflowPage(run.workflowId, [
    'quarantine-pod on k8s.pod:shop/web-1',
    'State awaiting approval',
    'secops-oncall (asked): alice, bob',
    'secops-leads (on escalation): carol',
    alert.id,
    // The timer of the wait, by its summary.
    'approval for quarantine-pod on k8s.pod:shop/web-1 from secops-oncall',
  ]);
  await screenshot(playbookPage, 'playbook-awaiting-approval.png');

  // The incident, by the link the entity card gives (alert.incident.link: the UI at this test's address).
  expect(incidentRef.link).toBe(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(incidentRef.workflowId)}`);
  const incident = h.client.workflow.getHandle(incidentRef.workflowId);
  const incidentView = await eventually(async () => {
    const v = await incident.query(incidentStateQuery);
    return v.alerts.some((a) => a.id === alert.id) ? v : undefined;
  }, 'the incident holding the alert');
  const incidentPage = await openWorkflowPage(incidentRef.workflowId, [
    `Incident ${incidentRef.id}`,
    `Severity ${incidentView.severity}`,
    `open · ${incidentView.alertCount} alert`,
    'Tactics execution',
    `Latest alerts (${incidentView.alerts.length} of ${incidentView.alertCount})`,
    alert.id,
    'pod shop/web-1',
    'user mallory',
    'Test t_exec',
    // The static summary the router started it with, up to the rule title (the UI typesets its quotes).
    incidentSummary(h.tenant, alert).split('"')[0]!,
  ]);
  await screenshot(incidentPage, 'incident.png');
  await run.terminate('test done');
});
