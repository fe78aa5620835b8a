/**
 * Collectors feed the real pipeline: `vigil collect file` (an audit log) and `vigil collect procfs`
 * publish to Mosquitto → ingest validates, matches Sigma and routes by the entity fields the
 * collectors write (auditd `hostname`, process `Hostname`) → the host's correlator on Temporal
 * records the detection and raises an alert.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startIngestRole, type IngestRole } from '../../src/app/ingest-process';
import { loadConfig } from '../../src/config';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import { entityStateQuery } from '../../src/contracts/correlator/messages';
import { makeRulesDir } from '../helpers/rules-dir';
import { eventually, sharedClient, sharedMqttUrl, sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { runVigil, startVigil, type VigilProcess } from '../helpers/vigil-process';
import { subscribeEvents, type PublishedEvents } from './published-events';

const tenant = uniqueTenant('collect');
const marker = `vigil-ingest-marker-${Date.now().toString(36)}`;

// High (the correlator's alert level) but untagged: no playbook binds, so the test is about detection and routing only.
const chmodRule = `
title: Test - chmod 777 seen by auditd
id: 6a1d3c1e-2b7f-4f0e-9d55-0c3b7a1e9f01
status: test
logsource: { product: linux, service: auditd }
detection:
  selection: { type: EXECVE, a0: chmod, a1: '777' }
  condition: selection
level: high
`;
const markerRule = `
title: Test - marker process
id: 6a1d3c1e-2b7f-4f0e-9d55-0c3b7a1e9f02
status: test
logsource: { product: linux, category: process_creation }
detection:
  selection: { CommandLine|contains: '${marker}' }
  condition: selection
level: high
`;

let client: Client;
let ingest: IngestRole;
let worker: VigilProcess;
/** What the collectors published, seen by a plain subscriber: tells a collector failure from an ingest one. */
let published: PublishedEvents;
let env: Record<string, string>;

beforeAll(async () => {
  env = {
    TEMPORAL_ADDRESS: sharedTemporalAddress(),
    MQTT_URL: sharedMqttUrl(),
    VIGIL_TENANTS: tenant,
    VIGIL_RULES_DIR: makeRulesDir({ 'chmod.yml': chmodRule, 'marker.yml': markerRule }),
    VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-collect-ingest-')),
  };
  client = await sharedClient();
  published = await subscribeEvents(tenant);
  worker = startVigil(['worker'], env);
  ingest = await startIngestRole(loadConfig({ ...process.env, ...env }), sharedMqttUrl(), client, testLogger, `g-${tenant}`);
});

afterAll(async () => {
  await published?.close();
  await ingest?.stop();
  await worker?.stop();
  await client?.connection.close();
});

async function hostAlerts(host: string): Promise<string[]> {
  return eventually(async () => {
    const state = await client.workflow.getHandle(correlatorWorkflowId(tenant, { type: 'host', id: host })).query(entityStateQuery);
    return state.openAlerts.length > 0 ? state.openAlerts.map((a) => a.rule.title) : undefined;
  }, `an alert on host ${host} (published ${published.events.length}, ingest ${JSON.stringify(ingest.service.stats)})`);
}

test('an audit log collected from a file raises an alert on the host its records name', async () => {
  const log = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-audit-')), 'audit.log');
  const now = (Date.now() / 1000).toFixed(3);
  writeFileSync(
    log,
    [
      `node=web-42 type=SYSCALL msg=audit(${now}:100): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=4242 auid=1000 uid=0 comm="chmod" exe="/usr/bin/chmod" key="exec"`,
      `node=web-42 type=EXECVE msg=audit(${now}:100): argc=3 a0="chmod" a1="777" a2="/srv/app"`,
      `node=web-42 type=EOE msg=audit(${now}:100):`,
      '',
    ].join('\n'),
  );
  const r = runVigil(['collect', 'file', log, '--source', 'auditd', '--tenant', tenant], env);
  expect(r.stdout).toContain('published 2 events');
  expect(await hostAlerts('web-42')).toEqual(['Test - chmod 777 seen by auditd']);
});

test('a process seen by the procfs collector raises an alert on this host', async () => {
  const collector = startVigil(['collect', 'procfs', '--interval', '100', '--tenant', tenant], env);
  await eventually(async () => (collector.output().includes('polling /proc') ? true : undefined), 'procfs collector ready');
  const child = spawn('sh', ['-c', `sleep 30; true ${marker}`], { stdio: 'ignore' });
  try {
    expect(await hostAlerts(hostname())).toEqual(['Test - marker process']);
  } finally {
    child.kill();
    await collector.stop();
  }
});
