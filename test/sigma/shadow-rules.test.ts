/**
 * Shadow rules as the Sigma loader reads them: `vigil.shadow: true` (a top-level custom attribute) marks a rule's
 * reference shadow, `status: experimental` alone does not (the shipped pack is all experimental and stays live), a
 * correlation is shadow when it says so or references a shadow rule (through other correlations too), `rules eval`
 * marks shadow hits; and `vigil rules promote`'s in-place edit touches only the rule's own document.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unshadowText } from '../../src/cli/rules-promote';
import { ruleSetFromTexts } from '../../src/sigma/load-rule-set';
import { runVigil } from '../helpers/vigil-process';

const rule = (name: string, extra: string) => `title: Rule ${name}
id: 00000000-0000-4000-8000-00000000000${name.length}
name: ${name}
${extra}logsource: { product: linux, category: process_creation }
detection:
  selection:
    CommandLine|contains: ${name}
  condition: selection
level: high
`;
const correlation = (name: string, rules: string[], extra = '') => `title: Correlation ${name}
name: ${name}
${extra}correlation:
  type: event_count
  rules: [${rules.join(', ')}]
  group-by: [Hostname]
  timespan: 5m
  condition: { gte: 2 }
`;

const texts = [
  { file: 'live.yml', text: rule('a', 'status: experimental\n') },
  { file: 'shadow.yml', text: rule('bb', 'status: experimental\nvigil.shadow: true\n') },
  { file: 'off.yml', text: rule('ccc', "'vigil.shadow': false\n") },
  {
    file: 'correlations.yml',
    text: [correlation('over_live', ['a']), correlation('over_shadow', ['a', 'bb']), correlation('over_over', ['over_shadow']), correlation('own', ['a'], 'vigil.shadow: true\n')].join('---\n'),
  },
];

test('vigil.shadow: true marks the rule, experimental alone does not, correlations inherit it through chains', () => {
  const { ruleSet, errors } = ruleSetFromTexts(texts);
  expect(errors).toEqual([]);
  expect(Object.fromEntries(ruleSet.rules.map((r) => [r.ref.name, r.ref.shadow ?? false]))).toEqual({ a: false, bb: true, ccc: false });
  expect(Object.fromEntries(ruleSet.correlations.map((c) => [c.name, c.shadow ?? false]))).toEqual({ over_live: false, over_shadow: true, over_over: true, own: true });
});

test('a vigil.shadow that is not a boolean is refused with its location', () => {
  const { errors } = ruleSetFromTexts([{ file: 'bad.yml', text: rule('a', 'vigil.shadow: yes please\n') }]);
  expect(errors.map((e) => [e.code, e.message, e.location?.line])).toEqual([['VGL_RULE_SCHEMA', expect.stringContaining('vigil.shadow'), 4]]);
});

test('rules eval marks the hits of shadow rules, and only those', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-shadow-eval-'));
  for (const t of texts.slice(0, 2)) writeFileSync(path.join(dir, t.file), t.text);
  const events = path.join(dir, 'events.ndjson');
  writeFileSync(events, `${JSON.stringify({ CommandLine: 'run a and bb', Hostname: 'h' })}\n`);
  const r = runVigil(['rules', 'eval', '--rules', dir, '--events', events, '--source', 'process'], {});
  expect(r.status).toBe(0);
  const hits = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { rule: { name: string; shadow?: boolean } });
  expect(hits.map((h) => [h.rule.name, h.rule.shadow ?? false]).sort()).toEqual([
    ['a', false],
    ['bb', true],
  ]);
});

describe('unshadowText', () => {
  const doc0 = 'title: first\nvigil.shadow: true\nstatus: experimental\n';
  const doc1 = "# comment\ntitle: second\nstatus: 'experimental' # why\n\"vigil.shadow\": true # trial\nlevel: high\n";

  test('edits only the named document: the shadow line goes, experimental becomes test, the rest stays', () => {
    const text = `---\n${doc0}---\n${doc1}`;
    expect(unshadowText(text, 1)).toBe(`---\n${doc0}---\n# comment\ntitle: second\nstatus: 'test' # why\nlevel: high\n`);
    expect(unshadowText(text, 0)).toBe(`---\ntitle: first\nstatus: test\n---\n${doc1}`);
  });

  test('a document without a top-level shadow line is not edited', () => {
    expect(unshadowText('title: x\ndetection:\n  vigil.shadow: true\n', 0)).toBeUndefined();
    expect(unshadowText(doc0, 1)).toBeUndefined();
  });
});
