/**
 * Hostile rules. ReDoS: `re` patterns run on RE2 (linear time). Catastrophic-backtracking patterns that would
 * hang a backtracking engine on these inputs finish; patterns RE2 cannot run are rejected at load.
 */
import { evalRule, loadTexts, ruleYaml } from './helpers';

const reRule = (pattern: string) => ruleYaml(`  sel:\n    f|re: '${pattern}'\n  condition: sel`);

test.each([
  ['(a+)+$', 'a'.repeat(100_000) + '!'],
  ['(a|aa)+$', 'a'.repeat(100_000) + '!'],
  ['(.*a){20}', 'a'.repeat(5_000)],
  ['^(([a-z])+.)+[A-Z]([a-z])+$', 'abcdefghijklmnopqrstuvwxyz'.repeat(2_000)],
  ['(x+x+)+y', 'x'.repeat(100_000)],
])('catastrophic pattern %s completes on a hostile input', (pattern, input) => {
  expect(typeof evalRule(reRule(pattern), { f: input })).toBe('boolean');
});

test.each([
  ['(a)\\1', 'backreference'],
  ['(?=a)a', 'lookahead'],
  ['(?<!a)b', 'lookbehind'],
  ['(?<=a)b', 'lookbehind'],
  ['\\u0041', 'JavaScript escape, not RE2 syntax'],
  ['a++', 'possessive'],
  ['(unclosed', 'syntax'],
])('pattern %s (%s) is rejected at load with the reason', (pattern) => {
  const { ruleSet, errors } = loadTexts({ 'r.yml': reRule(pattern) });
  expect(ruleSet.rules).toHaveLength(0);
  expect(errors[0]).toMatchObject({ code: 'VGL_RULE_REGEX_UNSAFE', location: { file: 'r.yml', line: 7 } });
  expect(errors[0]!.message).toMatch(/rejected by RE2/);
});

test('wildcards never backtrack either', () => {
  const yaml = ruleYaml(`  sel:\n    f: '${'*a'.repeat(30)}*b'\n  condition: sel`);
  expect(evalRule(yaml, { f: 'a'.repeat(200_000) })).toBe(false);
  expect(evalRule(yaml, { f: 'a'.repeat(200_000) + 'b' })).toBe(true);
});

test('combinatorial expansion is capped at load instead of exhausting memory', () => {
  const dashes = Array.from({ length: 12 }, (_, i) => ` -f${i}`).join('');
  const { errors } = loadTexts({ 'r.yml': ruleYaml(`  sel:\n    f|windash|contains: '${dashes}'\n  condition: sel`) });
  expect(errors[0]).toMatchObject({ code: 'VGL_RULE_MODIFIER', location: { line: 7 } });
  expect(errors[0]!.message).toMatch(/5\^12 variants/);
  const many = Array.from({ length: 100 }, (_, i) => `v${i}`);
  const placeholders = { a: many, b: many };
  const expanded = loadTexts({ 'r.yml': ruleYaml(`  sel:\n    f|expand: '%a%-%b%'\n  condition: sel`) }, placeholders);
  expect(expanded.errors[0]).toMatchObject({ code: 'VGL_RULE_MODIFIER' });
});

test('deeply nested conditions are rejected, not a stack overflow', () => {
  const condition = `${'('.repeat(10_000)}sel${')'.repeat(10_000)}`;
  const { errors } = loadTexts({ 'r.yml': ruleYaml(`  sel:\n    f: x\n  condition: '${condition}'`) });
  expect(errors[0]).toMatchObject({ code: 'VGL_RULE_CONDITION' });
  expect(errors[0]!.message).toMatch(/nested deeper than 64/);
});

test('deeply nested events are matched without overflowing the stack', () => {
  let deep: unknown = 'needle';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const keyword = ruleYaml(`  keywords:\n    - needle\n  condition: keywords`);
  expect(evalRule(keyword, { f: deep })).toBe(false); // beyond the nesting bound
  expect(evalRule(ruleYaml(`  sel:\n    f: needle\n  condition: sel`), { f: deep })).toBe(false);
  expect(evalRule(keyword, { f: [[['needle']]] })).toBe(true);
});
