/** Alerts, entity views and response config for playbook tests (inline YAML through the real loader). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Alert } from '../../src/model/alert';
import type { PlaybookBinding } from '../../src/model/playbook';
import { loadResponseConfig, type ResponseConfig } from '../../src/response/response-config';
import type { EntityStateView } from '../../src/contracts/correlator/messages';

export const approversYaml = `
approvers:
  alice: { chat: U01ALICE, aliases: [alice@example.com], tenants: [acme] }
  bob: { chat: U02BOB, tenants: [acme] }
  carol: { chat: U03CAROL, tenants: [acme] }
  mallory: { chat: U04MALLORY, aliases: [arn:aws:iam::111122223333:user/mallory, mal@example.com], tenants: [acme] }
  # On call in the same group, but for another tenant: the group would let her decide, her scope must not.
  gina: { chat: U05GINA, tenants: [globex] }
  # A global SOC analyst who may see every tenant.
  sam: { chat: U06SAM, tenants: ['*'] }
groups:
  oncall: [alice, bob, mallory, gina, sam]
  leads: [carol]
`;

/** A binding that only waits for one approval of the oncall group (no notices, no containment). */
export const oncallApprovalYaml = (playbook: string): string => `
bindings:
  - playbook: ${playbook}
    match: {}
    params:
      notify: []
      approval: { groups: [oncall], timeout: 1h }
      containment: []
`;

/** Loads approvers plus `bindingsYaml` and fails the test on any config error. */
export function responseConfig(bindingsYaml: string): ResponseConfig {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-responses-'));
  writeFileSync(path.join(dir, 'approvers.yml'), approversYaml);
  writeFileSync(path.join(dir, 'bindings.yml'), bindingsYaml);
  const { config, errors } = loadResponseConfig(dir);
  if (errors.length > 0) throw errors[0];
  return config;
}

/** The binding named `playbook` from inline bindings YAML, as the correlator would pass it. */
export function bindingFrom(bindingsYaml: string, playbook: string): PlaybookBinding {
  const binding = responseConfig(bindingsYaml).bindings.find((b) => b.playbook === playbook);
  if (!binding) throw new Error(`no binding ${playbook}`);
  return { playbook: binding.playbook, params: binding.params };
}

/**
 * Alert ids, and with them playbook and correlator workflow ids, unique in the run: test files share one
 * Temporal server and, in band, one process id; jest loads this module afresh for each file.
 */
const fileToken = Math.random().toString(36).slice(2, 10);
let counter = 0;

export function podAlert(overrides: Partial<Alert> = {}): Alert {
  counter += 1;
  const id = `alert-${fileToken}-${counter}`;
  const entity = overrides.entity ?? { type: 'pod', id: 'shop/web-7d9f' };
  return {
    id,
    kind: 'detection',
    tenant: 'acme',
    entity,
    entities: [entity],
    rule: { id: 'rule-exec-shell', title: 'Shell spawned in container', level: 'high', tags: ['attack.execution'] },
    group: {},
    events: [{ id: 'ev-1', time: 1_700_000_000_000, source: 'k8s_audit', fields: { 'user.username': 'mallory', 'objectRef.name': 'web-7d9f' } }],
    eventCount: 1,
    firstSeen: 1_700_000_000_000,
    lastSeen: 1_700_000_000_000,
    raisedAt: 1_700_000_000_500,
    rulesetVersion: 'test',
    correlatorWorkflowId: `correlator-${id}`,
    status: 'open',
    ...overrides,
  };
}

export function entityView(alert: Alert): EntityStateView {
  return {
    tenant: alert.tenant,
    entity: alert.entity,
    riskScore: 72,
    openAlerts: [alert],
    alertCount: 3,
    shadowAlerts: [],
    linkedAlerts: [],
    eventCount: 9,
    queuedDetections: 0,
    lateEvents: 0,
    rejectedDetections: 0,
    timeline: [{ time: alert.firstSeen, eventId: 'ev-1', source: 'k8s_audit', rules: [alert.rule.id], summary: 'exec into shop/web-7d9f' }],
    playbooks: [],
    rulesetVersion: 'test',
    suppressions: {},
    suppressedAlerts: 0,
    overflowClosedAlerts: 0,
    ruleVerdicts: {},
    analystActions: [],
  };
}
