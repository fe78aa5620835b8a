/** rules/responses loading (located errors, bad bindings skipped), binding selection, authorization rules. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/project-root';
import { alertSubjects, authorizeDecision } from '../../src/response/authorize';
import { resolveContainment } from '../../src/response/containment';
import { selectBindings } from '../../src/response/binding-match';
import { loadResponseConfig } from '../../src/response/response-config';
import { approversYaml, podAlert, responseConfig } from './fixtures';

function loadDir(files: Record<string, string>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-responses-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return loadResponseConfig(dir);
}

test('the shipped rules/responses load without errors', () => {
  const { config, errors } = loadResponseConfig(path.join(projectRoot, 'rules/responses'));
  expect(errors).toEqual([]);
  expect(config.bindings.map((b) => [b.playbook, b.on])).toEqual([
    ['quarantine-pod', 'alert'],
    ['contain-aws-identity', 'alert'],
    ['notify-critical', 'alert'],
    ['notify-critical-incident', 'incident'],
  ]);
});

test.each([
  ['an unknown containment action', 'containment: [{ action: k8s.explode }]', 7, 31, 'bindings.0.params.containment.0.action'],
  ['a malformed duration', 'ttl: soon', 7, 12, 'bindings.0.params.ttl'],
  ['an unknown approver group', 'approval: { groups: [nobody] }', 7, 27, 'bindings.0.params.approval.groups'],
])('%s is reported with file:line:col and field, and the other bindings still load', (_name, params, line, col, field) => {
  const { config, errors } = loadDir({
    'approvers.yml': approversYaml,
    'bindings.yml': `bindings:\n  - playbook: broken\n    match: {}\n    params:\n      notify: []\n      dryRun: true\n      ${params}\n  - playbook: fine\n    match: {}\n`,
  });
  expect(errors).toHaveLength(1);
  expect(errors[0]!.code).toBe('VGL_RESPONSE_CONFIG');
  expect(errors[0]!.location).toEqual({ file: expect.stringMatching(/bindings\.yml$/), line, col, field });
  expect(config.bindings.map((b) => b.playbook)).toEqual(['fine']);
});

test('approvers must say which tenants they serve; operators must name known identities', () => {
  const unscoped = loadDir({ 'approvers.yml': 'approvers:\n  alice: { chat: U1 }\n' });
  expect(unscoped.errors).toEqual([expect.objectContaining({ code: 'VGL_RESPONSE_CONFIG', location: expect.objectContaining({ line: 2, field: 'approvers.alice.tenants' }) })]);
  const badTenant = loadDir({ 'approvers.yml': "approvers:\n  alice: { tenants: ['Acme Corp'] }\n" });
  expect(badTenant.errors[0]!.location.field).toBe('approvers.alice.tenants.0');

  const { config, errors } = loadDir({
    'approvers.yml': approversYaml,
    'operators.yml': 'operators:\n  jdoe: { identity: alice }\n  ops-bot: { identity: bob, actFor: [carol] }\n  ghost: { identity: nobody }\n  lost: { identity: alice, actFor: [nobody] }\n',
  });
  expect(errors.map((e) => [e.code, e.location.field, e.location.line])).toEqual([
    ['VGL_RESPONSE_CONFIG', 'operators.ghost.identity', 4],
    ['VGL_RESPONSE_CONFIG', 'operators.lost.actFor', 5],
  ]);
  expect(config.operators.get('jdoe')).toEqual({ identity: 'alice', actFor: [] });
  expect(config.operators.get('ops-bot')).toEqual({ identity: 'bob', actFor: ['carol'] });
  expect(config.operators.has('ghost')).toBe(false);
  expect(config.approvers.get('gina')!.tenants).toEqual(['globex']);
  expect(config.approvers.get('sam')!.tenants).toBe('*');
});

test('YAML syntax errors name the position', () => {
  const { errors } = loadDir({ 'bad.yml': 'bindings:\n  - playbook: x\n   match: [' });
  expect(errors[0]!.code).toBe('VGL_RESPONSE_CONFIG');
  expect(errors[0]!.location.line).toBeGreaterThanOrEqual(2);
});

test('selection: by rule id, name, tag, minimum level and source; each playbook once', () => {
  const config = responseConfig(`
bindings:
  - { playbook: by-id, match: { ruleIds: [rule-exec-shell] } }
  - { playbook: by-name, match: { ruleNames: [exec_shell] } }
  - { playbook: by-tag, match: { tags: [attack.execution] } }
  - { playbook: by-tag, match: { minLevel: informational } }
  - { playbook: critical-only, match: { minLevel: critical } }
  - { playbook: cloud-only, match: { minLevel: low, sources: [cloudtrail] } }
`);
  const alert = podAlert({ rule: { id: 'rule-exec-shell', name: 'exec_shell', title: 't', level: 'high', tags: ['attack.execution'] } });
  expect(selectBindings(config.bindings, alert).map((b) => b.playbook)).toEqual(['by-id', 'by-name', 'by-tag']);
  const cloud = podAlert({ events: [{ id: 'e', time: 1, source: 'cloudtrail', fields: {} }], rule: { id: 'other', title: 't', level: 'critical', tags: [] } });
  expect(selectBindings(config.bindings, cloud).map((b) => b.playbook)).toEqual(['by-tag', 'critical-only', 'cloud-only']);
});

test('authorization: closed, not asked, subject (by alias or ARN tail), duplicate', () => {
  const groups = responseConfig(`
bindings:
  - { playbook: p, match: {}, params: { approval: { groups: [oncall, leads] } } }
`).bindings[0]!.params.approval!.groups;
  const alert = podAlert({ events: [{ id: 'e', time: 1, source: 'cloudtrail', fields: { 'userIdentity.arn': 'arn:aws:iam::111122223333:user/Mallory' } }] });
  const subjects = alertSubjects(alert);
  expect(subjects).toEqual(expect.arrayContaining(['arn:aws:iam::111122223333:user/mallory', 'mallory']));
  const ctx = { open: true, askedGroups: groups.slice(0, 1), subjects, decidedBy: ['bob'] };
  expect(authorizeDecision({ ...ctx, open: false }, 'alice')).toEqual(expect.objectContaining({ code: 'VGL_APPROVAL_CLOSED' }));
  expect(authorizeDecision(ctx, 'carol')).toEqual(expect.objectContaining({ code: 'VGL_APPROVAL_UNAUTHORIZED' }));
  expect(authorizeDecision({ ...ctx, askedGroups: groups }, 'carol')).toEqual({ ok: true });
  expect(authorizeDecision(ctx, 'mallory')).toEqual(expect.objectContaining({ code: 'VGL_APPROVAL_SELF' }));
  expect(authorizeDecision(ctx, 'bob')).toEqual(expect.objectContaining({ code: 'VGL_APPROVAL_DUPLICATE' }));
  expect(authorizeDecision(ctx, 'alice')).toEqual({ ok: true });
});

test('containment targets come from the alert entity, fields, or the binding; a missing target is named', () => {
  const alert = podAlert({ entity: { type: 'pod', id: 'shop/web-1' } });
  expect(resolveContainment({ action: 'k8s.isolatePod' }, alert)).toEqual({ action: 'k8s.isolatePod', namespace: 'shop', pod: 'web-1' });
  expect(resolveContainment({ action: 'k8s.scaleDeployment', deployment: { field: 'objectRef.name' } }, alert)).toEqual({ action: 'k8s.scaleDeployment', namespace: 'shop', deployment: 'web-7d9f' });
  expect(resolveContainment({ action: 'k8s.cordonNode' }, alert)).toBe(`k8s.cordonNode: no node in alert ${alert.id} (set it in the binding)`);
  const user = podAlert({ entity: { type: 'user', id: 'arn:aws:iam::1:user/ci' }, events: [{ id: 'e', time: 1, source: 'cloudtrail', fields: { 'userIdentity.accessKeyId': 'AKIA1' } }] });
  expect(resolveContainment({ action: 'aws.deactivateAccessKey' }, user)).toEqual({ action: 'aws.deactivateAccessKey', user: 'ci', accessKeyId: 'AKIA1' });
});

test('one alert per finding: the entities the finding names besides its owner are targets and subjects too', () => {
  // A process alert owned by its pod, naming its node and the user who ran it (src/model/finding-owner.ts).
  const pod = { type: 'pod' as const, id: 'shop/web-1' };
  const alert = podAlert({ entity: pod, entities: [pod, { type: 'host', id: 'node-a' }, { type: 'user', id: 'node-a/mallory' }], events: [] });
  expect(resolveContainment({ action: 'k8s.isolatePod' }, alert)).toEqual({ action: 'k8s.isolatePod', namespace: 'shop', pod: 'web-1' });
  expect(resolveContainment({ action: 'k8s.cordonNode' }, alert)).toEqual({ action: 'k8s.cordonNode', node: 'node-a' });
  expect(alertSubjects(alert)).toEqual(expect.arrayContaining(['node-a/mallory', 'mallory']));
  // An alert from before `entities` (a playbook history) names only its owner.
  const { entities: _entities, ...older } = alert;
  expect(resolveContainment({ action: 'k8s.cordonNode' }, older as typeof alert)).toBe(`k8s.cordonNode: no node in alert ${alert.id} (set it in the binding)`);
  expect(alertSubjects(older as typeof alert)).not.toContain('mallory');
});

test('binding tags match whatever the ATT&CK tactic spelling (privilege_escalation = privilege-escalation)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-tags-'));
  writeFileSync(path.join(dir, 'b.yml'), 'bindings:\n  - playbook: p\n    match: { tags: [attack.privilege_escalation] }\n    params: {}\n');
  const { config, errors } = loadResponseConfig(dir);
  expect(errors).toEqual([]);
  const rule = { id: 'r', title: 'R', level: 'high' as const, tags: ['attack.privilege-escalation'] };
  expect(selectBindings(config.bindings, { rule, events: [] }).map((b) => b.playbook)).toEqual(['p']);
  expect(selectBindings(config.bindings, { rule: { ...rule, tags: ["attack.execution"] }, events: [] })).toEqual([]);
});
