/** The index's building blocks: Aho-Corasick automaton, prefix/suffix radix trie, required regex literals. */
import { LiteralAutomaton } from '../../src/sigma/literal-automaton';
import { LiteralTrie } from '../../src/sigma/literal-trie';
import { requiredLiteral } from '../../src/sigma/regex-literal';

test('automaton reports every occurrence of every pattern, overlapping ones included', () => {
  const a = new LiteralAutomaton();
  const ids = ['he', 'she', 'his', 'hers', 'é/ü'].map((p) => a.add(p));
  a.build();
  const hits: number[] = [];
  const n = a.scan('ushers é/ü', hits);
  const found = [];
  for (let i = 0; i < n; i += 2) found.push([hits[i], hits[i + 1]]);
  expect(found.sort()).toEqual([[ids[0], 4], [ids[1], 4], [ids[3], 6], [ids[4], 10]].sort());
  expect(a.scan('nothing', hits)).toBe(0);
});

test.each([
  [false, ['/usr', '/usr/bin/', '/u'], '/usr/bin/python', [0, 1, 2]],
  [false, ['/usr', '/usr/bin/', '/u'], '/us', [2]],
  [false, ['system:serviceaccount:'], 'system:serviceaccount:kube-system:x', [0]],
  [false, ['system:serviceaccount:'], 'system:service', []],
  [true, ['/curl', '/wget', 'url'], '/usr/bin/curl', [0, 2]],
  [true, ['/curl', '/wget', 'url'], '/usr/bin/curl2', []],
  [true, ['sh', 'bash', '/bash'], '/bin/bash', [0, 1, 2]],
])('trie fromEnd=%s %j on %s → patterns %j', (fromEnd, patterns, value, expected) => {
  const t = new LiteralTrie(fromEnd);
  patterns.forEach((p, i) => t.add(p, i));
  t.compress();
  const found: number[] = [];
  t.walk(value, (rules) => found.push(...rules));
  expect(found.sort()).toEqual(expected);
});

test.each([
  ['.+:assumed-role/aws:.+', ':assumed-role/aws:'],
  ['^/tmp/[a-z]+\\.sh$', '/tmp/'],
  ['curl\\s+-s', 'curl'],
  ['abc?def', 'def'],
  ['ab+cd', 'ab'],
  ['(foo|bar)baz', 'baz'],
  ['foo|bar', undefined],
  ['a(b|c)*d', 'a'],
  ['[abc]+', undefined],
  ['x{2,}yz', 'yz'],
  ['\\.exe$', '.exe'],
  ['\\d+\\.\\d+', '.'],
])('required literal of /%s/ is %j', (pattern, expected) => {
  expect(requiredLiteral(pattern)).toBe(expected);
});
