/** One row per modifier behaviour: [detection item, event field value, expected]. */
import { evalRule, ruleYaml } from './helpers';

const item = (key: string, value: string) => ruleYaml(`  sel:\n    ${key}: ${value}\n  condition: sel`);

test.each([
  // plain values: case-insensitive equality, wildcards
  ['f', 'abc', 'ABC', true],
  ['f', 'abc', 'abcd', false],
  ['f', "'a*c'", 'aXYZc', true],
  ['f', "'a?c'", 'abc', true],
  ['f', "'a?c'", 'abbc', false],
  ['f', "'*'", '', true],
  ['f', "''", '', true],
  ['f', "''", 'x', false],
  // contains / startswith / endswith
  ['f|contains', 'bin/sh', '/usr/BIN/SH -c', true],
  ['f|contains', 'bin/sh', '/usr/bin/bash', false],
  ['f|startswith', '/usr', '/USR/bin', true],
  ['f|startswith', '/usr', '/bin/usr', false],
  ['f|endswith', '/curl', '/usr/bin/curl', true],
  ['f|endswith', '/curl', '/usr/bin/curl2', false],
  ['f|contains', "'a*b'", 'xxaZZbxx', true],
  // cased
  ['f|cased', 'Abc', 'Abc', true],
  ['f|cased', 'Abc', 'abc', false],
  ['f|contains|cased', 'Bin', '/Bin/sh', true],
  ['f|contains|cased', 'Bin', '/bin/sh', false],
  // all
  ['f|contains|all', '[a, b]', 'xaxbx', true],
  ['f|contains|all', '[a, b]', 'xaxx', false],
  // re with sub-modifiers
  ['f|re', "'^a.c$'", 'abc', true],
  ['f|re', "'^a.c$'", 'ABC', false],
  ['f|re|i', "'^a.c$'", 'ABC', true],
  ['f|re', "'^b$'", 'a\nb', false],
  ['f|re|m', "'^b$'", 'a\nb', true],
  ['f|re', "'a.b'", 'a\nb', false],
  ['f|re|s', "'a.b'", 'a\nb', true],
  ['f|re', "'bc'", 'abcd', true],
  ['f|re', "'a$'", 'a\n', false], // $ is the end of the text, not before a final newline, without m
  ['f|re', "'(?i)^a.c$'", 'ABC', true], // inline flags (SigmaHQ rules use (?i))
  ['f|re|i', "'^straße$'", 'STRASSE', false], // simple case folding only, as RE2
  ['f|re', "'^.$'", '\u{1F600}', true], // . is one code point, not one UTF-16 unit
  // cidr
  ['f|cidr', "'10.0.0.0/8'", '10.1.2.3', true],
  ['f|cidr', "'10.0.0.0/8'", '11.1.2.3', false],
  ['f|cidr', "'fe80::/10'", 'fe80::1', true],
  ['f|cidr', "'fe80::/10'", 'FEBF:ffff::1', true],
  ['f|cidr', "'fe80::/10'", 'fec0::1', false],
  ['f|cidr', "'::1/128'", '0:0:0:0:0:0:0:1', true],
  ['f|cidr', "'2001:db8::/32'", '2001:db8:0:0:1::192.168.0.1', true],
  ['f|cidr', "'10.0.0.0/8'", '::ffff:10.1.2.3', false],
  ['f|cidr', "'10.0.0.0/8'", 'not-an-ip', false],
  // base64 / base64offset / utf16 / wide
  ['f|base64', 'hello', 'aGVsbG8=', true],
  ['f|base64|contains', 'hello', 'xxaGVsbG8=xx', true],
  ['f|base64offset|contains', 'http://', 'ZWNobyBodHRwOi8v', true], // "echo http://" (offset 2)
  ['f|base64offset|contains', 'http://', 'aHR0cDovL', true], // offset 0
  ['f|base64offset|contains', 'http://', 'IGh0dHA6Ly', true], // offset 1 (" http://")
  ['f|base64offset|contains', 'http://', 'ZnRwOi8v', false],
  ['f|wide|base64', 'ab', 'YQBiAA==', true],
  ['f|utf16le|base64', 'ab', 'YQBiAA==', true],
  ['f|utf16be|base64', 'ab', 'AGEAYg==', true],
  ['f|utf16|base64', 'ab', '//5hAGIA', true],
  // windash
  ['f|windash|contains', "' -exec '", 'find . /exec x', true],
  ['f|windash|contains', "' -exec '", 'find . \u2013exec x', true],
  ['f|windash|contains', "' -exec '", 'find . exec x', false],
  // numeric comparisons (numeric strings included)
  ['f|gt', '10', '11', true],
  ['f|gt', '10', '10', false],
  ['f|gte', '10', '10', true],
  ['f|lt', '10', '9.5', true],
  ['f|lte', '10', '10', true],
  ['f|lte', '10', 'ten', false],
])('%s: %s vs %j → %s', (key, value, event, expected) => {
  expect(evalRule(item(key, value), { f: event })).toBe(expected);
});

test.each([
  ['f|gt', '10', 11, true],
  ['f', '403', 403, true], // numeric string rule value vs number event value
  ['f', "'403'", 403, true],
  ['f', '403', '403', true],
  ['f', '403', '0403', true],
  ['f', '403', 404, false],
  ['f', 'true', true, true],
  ['f', 'true', 'TRUE', true],
  ['f', "'true'", true, true],
  ['f', 'false', true, false],
  ['f', 'null', null, true],
  ['f', 'null', 'x', false],
  ['f|contains', '40', 1403, true],
])('%s: %s vs %j (typed) → %s', (key, value, event, expected) => {
  expect(evalRule(item(key, value), { f: event })).toBe(expected);
});

test.each([
  ['f|exists', 'true', { f: 'x' }, true],
  ['f|exists', 'true', { f: '' }, true],
  ['f|exists', 'true', {}, false],
  ['f|exists', 'true', { f: null }, false],
  ['f|exists', 'false', {}, true],
  ['f|exists', 'false', { f: 1 }, false],
  ['f', 'null', {}, true],
  ['f|fieldref', 'g', { f: 'Bob', g: 'bob' }, true],
  ['f|fieldref', 'g', { f: 'Bob', g: 'alice' }, false],
  ['f|fieldref|cased', 'g', { f: 'Bob', g: 'bob' }, false],
  ['f|fieldref', 'g', { f: 'Bob' }, false],
  ['f|fieldref', 'g.h', { f: ['x', 'y'], g: { h: ['y'] } }, true],
  // neq: the field has a value equal to none of the values
  ['f|neq', 'x', { f: 'y' }, true],
  ['f|neq', 'x', { f: 'X' }, false],
  ['f|neq', 'x', {}, false],
  ['f|neq', 'x', { f: null }, false],
  ['f|neq', '[x, y]', { f: 'y' }, false],
  ['f|neq', '[x, y]', { f: 'z' }, true],
  ['f|neq', 'x', { f: ['x', 'y'] }, false],
  ['f|contains|neq', 'adm', { f: 'root' }, true],
  // time parts (UTC): ISO text, zone-less text, epoch seconds and milliseconds
  ['t|hour', '13', { t: '2024-03-01T13:05:00Z' }, true],
  ['t|hour', '13', { t: '2024-03-01T13:05:00+02:00' }, false],
  ['t|hour|gte', '9', { t: '2024-03-01T08:59:00Z' }, false],
  ['t|hour|lt', '9', { t: '2024-03-01T08:59:00Z' }, true],
  ['t|minute', '5', { t: '2024-03-01 13:05:00' }, true],
  ['t|week', '53', { t: '2021-01-03T10:00:00Z' }, true],
  ['t|week', '1', { t: '2024-12-30T10:00:00Z' }, true],
  ['t|year', '2024', { t: 1709298300 }, true],
  ['t|month', '3', { t: 1709298300000 }, true],
  ['t|day', '1', { t: 'not a time' }, false],
  // booleans also read true/1/yes and false/0/no in strings (as rsigma does)
  ['f', 'true', { f: 'yes' }, true],
  ['f', 'false', { f: '0' }, true],
  ['f', 'false', { f: 'yes' }, false],
])('%s: %s on %j → %s', (key, value, event, expected) => {
  expect(evalRule(item(key, value), event)).toBe(expected);
});

test('expand replaces placeholders with every configured value', () => {
  const yaml = item('f|expand', "'%hosts%'");
  const placeholders = { hosts: ['web-*', 'db1'] };
  expect(evalRule(yaml, { f: 'web-42' }, 'all', placeholders)).toBe(true);
  expect(evalRule(yaml, { f: 'DB1' }, 'all', placeholders)).toBe(true);
  expect(evalRule(yaml, { f: 'db2' }, 'all', placeholders)).toBe(false);
  expect(evalRule(yaml, { f: 'x' }, 'all', { hosts: [] })).toBe(false);
});

test('expand with a placeholder missing from the configuration is a load error', () => {
  expect(() => evalRule(item('f|expand', "'%nope%'"), { f: 'x' })).toThrow(/VGL_RULE_PLACEHOLDER.*%nope%/);
});
