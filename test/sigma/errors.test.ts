/** Every load problem has a stable code and says file:line:col and field; bad documents never stop the others. */
import { RuleError } from '../../src/sigma';
import { loadTexts } from './helpers';

const header = 'title: t\nid: r1\nlogsource:\n  product: test\n';

function firstError(text: string) {
  const { errors } = loadTexts({ 'bad.yml': text });
  expect(errors.length).toBeGreaterThan(0);
  return errors[0]!;
}

test.each([
  ['unknown modifier', `${header}detection:\n  sel:\n    f|contian: x\n  condition: sel\n`, 'VGL_RULE_UNKNOWN_MODIFIER', 7, 5, 'detection.sel.f|contian'],
  ['unknown identifier', `${header}detection:\n  sel:\n    f: x\n  condition: sel and nope\n`, 'VGL_RULE_CONDITION', 8, 3, 'detection.condition'],
  ['condition syntax', `${header}detection:\n  sel:\n    f: x\n  condition: sel and (sel\n`, 'VGL_RULE_CONDITION', 8, 3, 'detection.condition'],
  ['missing condition', `${header}detection:\n  sel:\n    f: x\n`, 'VGL_RULE_DETECTION', 5, 1, 'detection.condition'],
  ['missing title', `id: r1\nlogsource:\n  product: test\ndetection:\n  sel:\n    f: x\n  condition: sel\n`, 'VGL_RULE_SCHEMA', 1, 1, undefined],
  ['bad level', `${header}level: urgent\ndetection:\n  sel:\n    f: x\n  condition: sel\n`, 'VGL_RULE_SCHEMA', 5, 1, 'level'],
  ['unsafe regex', `${header}detection:\n  sel:\n    f|re: '(a)\\1'\n  condition: sel\n`, 'VGL_RULE_REGEX_UNSAFE', 7, 5, 'detection.sel.f|re'],
  ['bad cidr', `${header}detection:\n  sel:\n    f|cidr: 10.0.0.0/33\n  condition: sel\n`, 'VGL_RULE_MODIFIER', 7, 5, 'detection.sel.f|cidr'],
  ['conflicting modifiers', `${header}detection:\n  sel:\n    f|contains|endswith: x\n  condition: sel\n`, 'VGL_RULE_MODIFIER', 7, 5, 'detection.sel.f|contains|endswith'],
  ['base64 of a wildcard', `${header}detection:\n  sel:\n    f|base64: 'a*'\n  condition: sel\n`, 'VGL_RULE_MODIFIER', 7, 5, 'detection.sel.f|base64'],
  ['nested map value', `${header}detection:\n  sel:\n    f:\n      g: x\n  condition: sel\n`, 'VGL_RULE_DETECTION', 7, 5, 'detection.sel.f'],
  ['time part with a string', `${header}detection:\n  sel:\n    t|hour: noon\n  condition: sel\n`, 'VGL_RULE_MODIFIER', 7, 5, 'detection.sel.t|hour'],
  ['time part with contains', `${header}detection:\n  sel:\n    t|hour|contains: 1\n  condition: sel\n`, 'VGL_RULE_MODIFIER', 7, 5, 'detection.sel.t|hour|contains'],
  ['empty value list', `${header}detection:\n  sel:\n    f: []\n  condition: sel\n`, 'VGL_RULE_DETECTION', 7, 5, 'detection.sel.f'],
  ['YAML syntax', `${header}detection:\n  sel: [a, b\n  condition: sel\n`, 'VGL_RULE_YAML', undefined, undefined, undefined],
  ['regex flag without re', `${header}detection:\n  sel:\n    f|contains|i: x\n  condition: sel\n`, 'VGL_RULE_MODIFIER', 7, 5, 'detection.sel.f|contains|i'],
])('%s → %s at line %s col %s', (_name, text, code, line, col, field) => {
  const e = firstError(text);
  expect(e).toBeInstanceOf(RuleError);
  expect(e.code).toBe(code);
  expect(e.location.file).toBe('bad.yml');
  if (line !== undefined) expect(e.location).toMatchObject({ line, col });
  else expect(e.location.line).toBeGreaterThan(0);
  if (field !== undefined) expect(e.location.field).toBe(field);
  expect(e.message).toContain(`bad.yml:${e.location.line}:${e.location.col}`);
});

test('condition errors say where in the condition', () => {
  const e = firstError(`${header}detection:\n  sel:\n    f: x\n  condition: sel and nope\n`);
  expect(e.message).toMatch(/unknown search identifier 'nope' \(at character 9 of condition 'sel and nope'\)/);
});

test('a bad document or file does not stop the others', () => {
  const good = `${header}detection:\n  sel:\n    f: x\n  condition: sel\n`;
  const { ruleSet, errors } = loadTexts({
    'good.yml': good,
    'broken.yml': 'title: [unclosed\n',
    'multi.yml': `${good.replace('r1', 'm1')}---\n${header.replace('r1', 'm2')}detection:\n  condition: nothing\n---\n${good.replace('r1', 'm3')}`,
  });
  expect(ruleSet.rules.map((r) => r.ref.id).sort()).toEqual(['m1', 'm3', 'r1']);
  expect(errors.map((e) => [e.code, e.location.file])).toEqual([
    ['VGL_RULE_YAML', 'broken.yml'],
    ['VGL_RULE_CONDITION', 'multi.yml'],
  ]);
  expect(errors[1]!.location.line).toBe(15);
});

test('duplicate ids are rejected, the first file wins', () => {
  const rule = (f: string) => `${header}detection:\n  sel:\n    f: ${f}\n  condition: sel\n`;
  const { ruleSet, errors } = loadTexts({ 'a.yml': rule('a'), 'b.yml': rule('b') });
  expect(ruleSet.rules).toHaveLength(1);
  expect(errors[0]).toMatchObject({ code: 'VGL_RULE_DUPLICATE_ID', location: { file: 'b.yml', line: 2, col: 1 } });
});
