/**
 * Rule loading bounds: a file past one is rejected with its code, location, the bound and the
 * variable that raises it, while the other rules (other files, sibling documents) still load and match.
 */
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRuleSet, ruleSetFromTexts, type RuleLimits } from '../../src/sigma';

/** A CloudTrail rule on eventName with the given values (one detection field, YAML block list). */
const listRule = (id: string, values: readonly string[], key = 'eventName') =>
  `title: ${id}\nid: ${id}\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    ${key}:\n${values.map((v) => `      - '${v}'\n`).join('')}  condition: sel\n`;
const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const good = listRule('good', ['DeleteTrail']);

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-limits-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function load(texts: Record<string, string>, limits: Partial<RuleLimits>) {
  return ruleSetFromTexts(Object.entries(texts).map(([file, text]) => ({ file, text })), {}, limits);
}

const hits = (ruleSet: { match(e: unknown, s: 'cloudtrail'): { id: string }[] }, eventName: string) =>
  ruleSet.match({ eventName }, 'cloudtrail').map((r) => r.id).sort();

test('a file over the byte bound is rejected from its size alone (never read); the rest of the folder loads', async () => {
  const dir = tempDir({ 'a-good.yml': good, 'b-huge.yml': '' });
  // Sparse: 5 GiB on paper, no disk used. Reading it would fail (or take minutes); stat does not.
  truncateSync(join(dir, 'b-huge.yml'), 5 * 2 ** 30);
  const { ruleSet, errors } = await loadRuleSet([dir]);
  expect(errors.map((e) => [e.code, e.location])).toEqual([['VGL_RULE_TOO_LARGE', { file: join(dir, 'b-huge.yml') }]]);
  expect(errors[0]!.reason).toBe(
    'file is 5,368,709,120 bytes, above the limit of 1,048,576 bytes per rule file (raise VIGIL_RULE_MAX_FILE_BYTES to allow more)',
  );
  expect(hits(ruleSet, 'DeleteTrail')).toEqual(['good']);
});

test.each([
  {
    what: 'values as written',
    text: listRule('big', names('E', 51), 'eventName|contains'),
    at: { line: 8, col: 5, field: 'detection.sel.eventName|contains' },
    reason: /^eventName\|contains has 51 values, above the limit of 50 values per detection field \(raise VIGIL_RULE_MAX_FIELD_VALUES to allow more\)$/,
  },
  {
    what: 'values after modifier expansion (windash: 5 dash forms each)',
    text: listRule('big', names('-flag', 11), 'CommandLine|windash|contains'),
    at: { line: 8, col: 5, field: 'detection.sel.CommandLine|windash|contains' },
    reason: /^CommandLine\|windash\|contains has at least 55 values after modifier expansion, above the limit of 50 /,
  },
  {
    what: 'a keyword list',
    text: `title: big\nid: big\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  keywords:\n${names('k', 51).map((k) => `    - ${k}\n`).join('')}  condition: keywords\n`,
    at: { line: 7, col: 3, field: 'detection.keywords' },
    reason: /^keyword list has 51 values, above the limit of 50 /,
  },
])('a field over the values bound rejects its rule, located at the field; siblings load ($what)', ({ text, at, reason }) => {
  const { ruleSet, errors } = load({ 'big.yml': `${text}---\n${listRule('sibling', ['StopLogging'])}`, 'good.yml': good }, { maxFieldValues: 50 });
  expect(errors.map((e) => [e.code, e.location])).toEqual([['VGL_RULE_FIELD_VALUES', { file: 'big.yml', ...at }]]);
  expect(errors[0]!.reason).toMatch(reason);
  expect(hits(ruleSet, 'DeleteTrail')).toEqual(['good']);
  expect(hits(ruleSet, 'StopLogging')).toEqual(['sibling']);
});

test.each([
  {
    what: 'documents',
    limits: { maxDocuments: 2 },
    text: [listRule('d1', ['StopLogging']), listRule('d2', ['StopLogging']), listRule('d3', ['StopLogging'])].join('---\n'),
    at: { line: 22, col: 1 },
    reason: 'file has more than 2 YAML documents, above the limit of 2 YAML documents per rule file (raise VIGIL_RULE_MAX_DOCUMENTS to allow more)',
  },
  {
    what: 'YAML nodes',
    limits: { maxYamlNodes: 30 },
    text: listRule('d1', names('E', 40)),
    at: { line: 14, col: 7 },
    reason: 'file has more than 30 YAML nodes, above the limit of 30 YAML nodes per rule file (raise VIGIL_RULE_MAX_YAML_NODES to allow more)',
  },
])('a file over the $what bound loads nothing, located where the bound was crossed; other files load', ({ limits, text, at, reason }) => {
  const { ruleSet, errors } = load({ 'big.yml': text, 'good.yml': good }, limits);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({ code: 'VGL_RULE_TOO_LARGE', reason, location: { file: 'big.yml', ...at } });
  expect(ruleSet.rules.map((r) => r.ref.id)).toEqual(['good']);
  expect(hits(ruleSet, 'DeleteTrail')).toEqual(['good']);
});

test.each([
  {
    bound: 'matcher values',
    limits: { maxTotalValues: 100 },
    reason: 'this file takes the rule set to at least 121 matcher values (other files hold 60, this one 61 so far), above the limit of 100 matcher values in the rule set (raise VIGIL_RULE_MAX_TOTAL_VALUES to allow more)',
  },
  {
    // a0..a59 = 170 characters; b: 1 + 170; c: 80.
    bound: 'characters of matcher text',
    limits: { maxTotalChars: 300 },
    reason: 'this file takes the rule set to at least 341 characters of matcher text (other files hold 170, this one 171 so far), above the limit of 300 characters of matcher text in the rule set (raise VIGIL_RULE_MAX_TOTAL_CHARS to allow more)',
  },
])('the file that would take the rule set past its total $bound is rejected whole; files before and after it load', async ({ limits, reason }) => {
  const dir = tempDir({ 'a.yml': listRule('a', names('A', 60)), 'b.yml': `${listRule('b0', ['B'])}---\n${listRule('b', names('B', 60))}`, 'c.yml': listRule('c', names('C', 30)) });
  const { ruleSet, errors } = await loadRuleSet([dir], { limits });
  expect(errors.map((e) => [e.code, e.location])).toEqual([['VGL_RULE_SET_TOO_LARGE', { file: join(dir, 'b.yml'), line: 19, col: 5, field: 'detection.sel.eventName' }]]);
  expect(errors[0]!.reason).toBe(reason);
  expect(ruleSet.rules.map((r) => r.ref.id)).toEqual(['a', 'c']);
  expect(hits(ruleSet, 'A59')).toEqual(['a']);
  expect(hits(ruleSet, 'B')).toEqual([]);
  expect(hits(ruleSet, 'C29')).toEqual(['c']);
});

test('the defaults take the largest SigmaHQ rule shape (one field of ~4,500 hashes in a ~300 KB file)', () => {
  const hashes = Array.from({ length: 4_500 }, (_, i) => `SHA256=${i.toString(16).padStart(64, '0')}`);
  const text = listRule('drivers', hashes, 'Hashes|contains');
  expect(text.length).toBeGreaterThan(300_000);
  const { ruleSet, errors } = load({ 'drivers.yml': text }, {});
  expect(errors).toEqual([]);
  expect(ruleSet.match({ Hashes: `MD5=x,${hashes[4_499]}` }, 'cloudtrail').map((r) => r.id)).toEqual(['drivers']);
});
