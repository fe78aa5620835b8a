/** Condition forms: and/or/not, precedence, parentheses, `1 of`/`all of` patterns and `them`. */
import { evalRule, ruleYaml } from './helpers';

const searches = `  sel_a:\n    a: 1\n  sel_b:\n    b: 1\n  filter_c:\n    c: 1\n  _hidden:\n    h: 1\n`;
const rule = (condition: string) => ruleYaml(`${searches}  condition: ${condition}`);

test.each([
  ['sel_a', { a: 1 }, true],
  ['sel_a', { b: 1 }, false],
  ['sel_a and sel_b', { a: 1, b: 1 }, true],
  ['sel_a and sel_b', { a: 1 }, false],
  ['sel_a or sel_b', { b: 1 }, true],
  ['not sel_a', { b: 1 }, true],
  ['not sel_a', { a: 1 }, false],
  ['NOT sel_a AND sel_b', { b: 1 }, true],
  ['sel_a or sel_b and filter_c', { a: 1 }, true], // and binds tighter than or
  ['(sel_a or sel_b) and filter_c', { a: 1 }, false],
  ['not sel_a and not sel_b', { c: 1 }, true],
  ['not (sel_a or sel_b)', { a: 1 }, false],
  ['1 of sel_*', { b: 1 }, true],
  ['any of sel_*', { b: 1 }, true],
  ['all of sel_*', { b: 1 }, false],
  ['all of sel_*', { a: 1, b: 1 }, true],
  ['1 of them', { c: 1 }, true],
  ['1 of them', { h: 1 }, false], // them skips identifiers starting with _
  ['all of them', { a: 1, b: 1, c: 1 }, true],
  ['all of them', { a: 1, b: 1 }, false],
  ['sel_a and not 1 of filter_*', { a: 1, c: 1 }, false],
  ['sel_a and not 1 of filter_*', { a: 1 }, true],
  ['_hidden', { h: 1 }, true],
  ['((sel_a))', { a: 1 }, true],
])('%s on %j → %s', (condition, event, expected) => {
  expect(evalRule(rule(condition), event)).toBe(expected);
});

test('a condition list is an OR (Sigma 1.x form)', () => {
  const yaml = ruleYaml(`${searches}  condition:\n    - sel_a\n    - sel_b`);
  expect(evalRule(yaml, { b: 1 })).toBe(true);
  expect(evalRule(yaml, { c: 1 })).toBe(false);
});

test('a list of maps is an OR, a map is an AND', () => {
  const yaml = ruleYaml(`  sel:\n    - a: 1\n      b: 1\n    - c: 1\n  condition: sel`);
  expect(evalRule(yaml, { a: 1, b: 1 })).toBe(true);
  expect(evalRule(yaml, { a: 1 })).toBe(false);
  expect(evalRule(yaml, { c: 1 })).toBe(true);
});

test('keywords search every string in the event, as substrings, case-insensitively', () => {
  const yaml = ruleYaml(`  keywords:\n    - 'denied AXFR'\n    - 'Trojan*FOUND'\n  condition: keywords`);
  expect(evalRule(yaml, { msg: 'client 1.2.3.4: zone transfer Denied axfr from x' })).toBe(true);
  expect(evalRule(yaml, { deep: { list: ['x', 'scan: Trojan.Foo FOUND'] } })).toBe(true);
  expect(evalRule(yaml, { msg: 'allowed' })).toBe(false);
});
