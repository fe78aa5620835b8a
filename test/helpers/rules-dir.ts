/**
 * A throw-away rules folder for integration tests: the project's entity mapping and response
 * bindings, plus the Sigma rules a test writes, so a test's expectations do not move when the
 * shipped rule pack changes.
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/project-root';

export function makeRulesDir(sigmaFiles: Record<string, string>, correlationFiles: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-rules-'));
  for (const sub of ['entities', 'responses']) cpSync(path.join(projectRoot, 'rules', sub), path.join(dir, sub), { recursive: true });
  for (const [sub, files] of [['sigma', sigmaFiles], ['correlations', correlationFiles]] as const) {
    mkdirSync(path.join(dir, sub), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, sub, name), text);
  }
  return dir;
}

/**
 * Scopes the shipped approvers (and their groups) to `tenant`, and maps the OS user running the tests to
 * alice, who may also act for carol: what an operator configures before deciding with `vigil approve`.
 */
export function approversFor(rulesDir: string, tenant: string): void {
  writeFileSync(
    path.join(rulesDir, 'responses', 'approvers.yml'),
    `approvers:
  alice: { chat: U01ALICE, tenants: [${tenant}] }
  bob: { chat: U02BOB, tenants: [${tenant}] }
  carol: { chat: U03CAROL, tenants: [${tenant}] }
groups:
  secops-oncall: [alice, bob]
  secops-leads: [carol]
operators:
  ${JSON.stringify(userInfo().username)}: { identity: alice, actFor: [carol] }
`,
  );
}

/** A high-level k8s rule (tagged attack.execution, so the quarantine-pod playbook binds to it). */
export const podExecRule = `
title: Test - exec into a pod
id: 0f7d8a52-7c1e-4d0b-9a51-2f4a1c9e0b01
name: test_pod_exec
status: test
tags: [attack.execution, attack.t1609]
logsource: { product: kubernetes, service: audit }
detection:
  selection:
    objectRef.resource: pods
    objectRef.subresource: exec
  condition: selection
level: high
`;

/** A k8s audit Event for \`kubectl exec\` into \`namespace/pod\` by \`user\`. */
export function podExecEvent(auditID: string, namespace: string, pod: string, user: string, time = new Date()): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Request',
    auditID,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/${namespace}/pods/${pod}/exec?command=sh&stdin=true&tty=true`,
    verb: 'create',
    user: { username: user, groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.7'],
    objectRef: { resource: 'pods', namespace, name: pod, apiVersion: 'v1', subresource: 'exec' },
    responseStatus: { code: 101 },
    requestReceivedTimestamp: time.toISOString(),
    stageTimestamp: time.toISOString(),
  };
}
