/** The tricky cases: escaping, case folding, arrays, missing fields, `not` over missing fields, numeric strings, nesting. */
import { evalRule, ruleYaml } from './helpers';

const one = (key: string, value: string, condition = 'sel') => ruleYaml(`  sel:\n    ${key}: ${value}\n  condition: ${condition}`);

describe('escaped wildcards', () => {
  test.each([
    ["'a\\*b'", 'a*b', true],
    ["'a\\*b'", 'aXb', false],
    ["'a\\?b'", 'a?b', true],
    ["'a\\?b'", 'aXb', false],
    ["'C:\\\\Windows\\\\*'", 'C:\\Windows\\System32', true], // \\ is one literal backslash, then a wildcard
    ["'C:\\Windows'", 'C:\\Windows', true], // a backslash before an ordinary character is literal
    ["'a\\\\*'", 'a\\anything', true],
    ["'a\\\\\\*'", 'a\\*', true],
    ["'a\\\\\\*'", 'a\\x', false],
  ])('%s vs %j → %s', (value, event, expected) => {
    expect(evalRule(one('f', value), { f: event })).toBe(expected);
  });
});

describe('case folding', () => {
  test.each([
    ['f', "'ÄRGER'", 'ärger', true],
    ['f|contains', "'İSTANBUL'", 'i̇stanbul', true],
    ['f|endswith', "'.EXE'", 'a.exe', true],
    ['f|re', "'EXE'", 'a.exe', false], // regexes are case-sensitive unless |i
  ])('%s: %s vs %j → %s', (key, value, event, expected) => {
    expect(evalRule(one(key, value), { f: event })).toBe(expected);
  });
});

describe('arrays and nested fields', () => {
  test('a dotted field addresses nested JSON', () => {
    expect(evalRule(one('userIdentity.arn|endswith', ':root'), { userIdentity: { arn: 'arn:aws:iam::1:root' } })).toBe(true);
  });
  test('a path through an array matches if any element matches', () => {
    const event = { spec: { containers: [{ image: 'nginx' }, { image: 'evil/miner' }] } };
    expect(evalRule(one('spec.containers.image|contains', 'miner'), event)).toBe(true);
    expect(evalRule(one('spec.containers.image', 'redis'), event)).toBe(false);
  });
  test('a field holding an array matches if any element matches', () => {
    expect(evalRule(one('sourceIPs|cidr', "'10.0.0.0/8'"), { sourceIPs: ['192.168.1.1', '10.2.3.4'] })).toBe(true);
  });
  test('|all needs every value, possibly from different elements', () => {
    const yaml = one('args|contains|all', '[-a, -b]');
    expect(evalRule(yaml, { args: ['-a', '-b'] })).toBe(true);
    expect(evalRule(yaml, { args: ['-a'] })).toBe(false);
  });
  test('a literal dotted key is found where the nested path stops', () => {
    const event = { annotations: { 'authorization.k8s.io/decision': 'allow' } };
    expect(evalRule(one('annotations.authorization.k8s.io/decision', 'allow'), event)).toBe(true);
    expect(evalRule(one('a.b.c', 'x'), { 'a.b.c': 'x' })).toBe(true);
    expect(evalRule(one('a.b.c', 'x'), { a: { 'b.c': ['y', 'x'] } })).toBe(true);
  });
  test('prototype keys are not fields', () => {
    expect(evalRule(one('constructor|exists', 'true'), {})).toBe(false);
  });
});

describe('missing fields', () => {
  test('a missing field matches nothing, not even a wildcard', () => {
    expect(evalRule(one('f', "'*'"), {})).toBe(false);
    expect(evalRule(one('f|contains', "''"), {})).toBe(false);
  });
  test('`not` over a missing field is true', () => {
    expect(evalRule(one('f', 'x', 'not sel'), {})).toBe(true);
    expect(evalRule(one('f', 'x', 'not sel'), { f: 'x' })).toBe(false);
  });
  test('selection and not filter: the filter field is missing, so the rule fires', () => {
    const yaml = ruleYaml(`  sel:\n    a: 1\n  filter:\n    user: admin\n  condition: sel and not filter`);
    expect(evalRule(yaml, { a: 1 })).toBe(true);
    expect(evalRule(yaml, { a: 1, user: 'ADMIN' })).toBe(false);
  });
  test('null matches a missing or null field, and nothing else', () => {
    expect(evalRule(one('f', 'null'), {})).toBe(true);
    expect(evalRule(one('f', 'null'), { f: null })).toBe(true);
    expect(evalRule(one('f', 'null'), { f: '' })).toBe(false);
    expect(evalRule(one('f', '[null, x]'), { f: 'x' })).toBe(true);
  });
  test('objects do not match strings', () => {
    expect(evalRule(one('f', "'*'"), { f: { a: 1 } })).toBe(false);
  });
});

describe('numbers and numeric strings', () => {
  test.each([
    ['code', '401', { code: 401 }, true],
    ['code', '401', { code: '401' }, true],
    ['code', "'401'", { code: 401 }, true],
    ['code', '401', { code: 401.0 }, true],
    ['code', '401', { code: '401.0' }, true],
    ['code', '[401, 403]', { code: 403 }, true],
    ['code', '401', { code: 4010 }, false],
    ['code|startswith', '40', { code: 403 }, true],
    ['Initiated', "'true'", { Initiated: true }, true],
  ])('%s: %s on %j → %s', (key, value, event, expected) => {
    expect(evalRule(one(key, value), event)).toBe(expected);
  });
});
