/** Loading from disk: directories, rules roots, multi-document files, filters, correlations, placeholders. */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRuleSet } from '../../src/sigma';
import { loadTexts } from './helpers';

const detection = (id: string, name: string, body = '  sel:\n    eventName: DeleteTrail\n  condition: sel') =>
  `title: ${id}\nid: ${id}\nname: ${name}\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n${body}\n`;

test('a Sigma filter is ANDed onto the rules it names, by id or name', () => {
  const filter = `title: not automation\nlogsource:\n  product: aws\nfilter:\n  rules:\n    - r1\n    - rule_two\n  automation:\n    userIdentity.type: AWSService\n  condition: not automation\n`;
  const { ruleSet, errors } = loadTexts({ 'a.yml': detection('r1', 'rule_one'), 'b.yml': detection('r2', 'rule_two'), 'c.yml': detection('r3', 'rule_three'), 'f.yml': filter });
  expect(errors).toEqual([]);
  const ids = (event: unknown) => ruleSet.match(event, 'cloudtrail').map((r) => r.id).sort();
  expect(ids({ eventName: 'DeleteTrail', userIdentity: { type: 'IAMUser' } })).toEqual(['r1', 'r2', 'r3']);
  expect(ids({ eventName: 'DeleteTrail', userIdentity: { type: 'AWSService' } })).toEqual(['r3']);
});

test('a filter naming an unknown rule or a foreign logsource is reported', () => {
  const filter = `title: f\nlogsource:\n  product: kubernetes\nfilter:\n  rules: [r1, ghost]\n  sel:\n    a: 1\n  condition: not sel\n`;
  const { errors } = loadTexts({ 'a.yml': detection('r1', 'rule_one'), 'f.yml': filter });
  expect(errors.map((e) => [e.code, e.location.file, e.location.line])).toEqual([
    ['VGL_RULE_FILTER_TARGET', 'f.yml', 5],
    ['VGL_RULE_FILTER_TARGET', 'f.yml', 5],
  ]);
  expect(errors[1]!.message).toMatch(/'ghost', which is not loaded/);
});

test('correlation documents are parsed into correlation rules; unknown references are rejected', () => {
  const corr = (name: string, ref: string) =>
    `title: ${name}\nname: ${name}\ncorrelation:\n  type: event_count\n  rules:\n    - ${ref}\n  group-by:\n    - userIdentity.arn\n  timespan: 5m\n  condition:\n    gte: 3\n`;
  const { ruleSet, errors } = loadTexts({ 'a.yml': `${detection('r1', 'trail_deleted')}---\n${corr('many_deletes', 'trail_deleted')}`, 'b.yml': corr('broken', 'nope') });
  expect(ruleSet.correlations.map((c) => [c.name, c.type, c.rules, c.timespanMs])).toEqual([['many_deletes', 'event_count', ['trail_deleted'], 300_000]]);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({ code: 'VGL_RULE_CORRELATION', location: { file: 'b.yml', line: 6 } });
});

test('a rules root loads sigma/ and correlations/ only, with its placeholder config; directories are recursive', async () => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-rules-'));
  mkdirSync(join(root, 'sigma', 'aws', 'cloudtrail'), { recursive: true });
  mkdirSync(join(root, 'responses'));
  mkdirSync(join(root, 'sigma-config'));
  writeFileSync(join(root, 'sigma', 'aws', 'cloudtrail', 'a.yml'), detection('r1', 'one', '  sel:\n    eventName|expand: "%names%"\n  condition: sel'));
  writeFileSync(join(root, 'responses', 'not-sigma.yml'), 'playbook: quarantine\n');
  writeFileSync(join(root, 'sigma-config', 'placeholders.yml'), 'names: [StopLogging, DeleteTrail]\n');
  const { ruleSet, errors } = await loadRuleSet([root]);
  expect(errors).toEqual([]);
  expect(ruleSet.rules.map((r) => r.ref.id)).toEqual(['r1']);
  expect(ruleSet.match({ eventName: 'stoplogging' }, 'cloudtrail')).toHaveLength(1);

  // A directory inside the root (an edge collector's rules/sigma/aws) uses the root's placeholders; the same
  // rule outside any rules root has none.
  const inside = await loadRuleSet([join(root, 'sigma', 'aws')]);
  expect(inside.errors).toEqual([]);
  expect(inside.ruleSet.match({ eventName: 'DeleteTrail' }, 'cloudtrail')).toHaveLength(1);
  const elsewhere = mkdtempSync(join(tmpdir(), 'vigil-loose-'));
  writeFileSync(join(elsewhere, 'a.yml'), readFileSync(join(root, 'sigma', 'aws', 'cloudtrail', 'a.yml')));
  const loose = await loadRuleSet([elsewhere]);
  expect(loose.errors.map((e) => e.code)).toEqual(['VGL_RULE_PLACEHOLDER']);
  const missing = await loadRuleSet([join(root, 'nope')]);
  expect(missing.errors.map((e) => e.code)).toEqual(['VGL_RULE_IO']);
});

test('the version is a content hash: same content, same version; any change, new version', () => {
  const a = loadTexts({ 'x.yml': detection('r1', 'one') }).ruleSet.version;
  const b = loadTexts({ 'elsewhere/y.yml': detection('r1', 'one') }).ruleSet.version;
  const c = loadTexts({ 'x.yml': detection('r1', 'one').replace('DeleteTrail', 'StopLogging') }).ruleSet.version;
  expect(a).toMatch(/^[0-9a-f]{16}$/);
  expect(b).toBe(a);
  expect(c).not.toBe(a);
});

test('logsource routing: a rule applies only to its source; json gets logsource-free rules', () => {
  const generic = `title: g\nid: g1\nlogsource: {}\ndetection:\n  sel:\n    eventName: DeleteTrail\n  condition: sel\n`;
  const k8s = `title: k\nid: k1\nlogsource:\n  category: application\n  product: kubernetes\n  service: audit\ndetection:\n  sel:\n    eventName: DeleteTrail\n  condition: sel\n`;
  const { ruleSet } = loadTexts({ 'a.yml': detection('r1', 'one'), 'g.yml': generic, 'k.yml': k8s });
  const event = { eventName: 'DeleteTrail' };
  expect(ruleSet.match(event, 'cloudtrail').map((r) => r.id)).toEqual(['r1']);
  expect(ruleSet.match(event, 'k8s_audit').map((r) => r.id)).toEqual(['k1']);
  expect(ruleSet.match(event, 'json').map((r) => r.id)).toEqual(['g1']);
  expect(ruleSet.match(event, 'process')).toEqual([]);
  expect(ruleSet.matchSelected(event, 'all').map((r) => r.ref.id).sort()).toEqual(['g1', 'k1', 'r1']);
  expect(ruleSet.matchSelected(event, { product: 'kubernetes' }).map((r) => r.ref.id)).toEqual(['k1']);
});
