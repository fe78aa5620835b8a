/**
 * Compatibility: every SigmaHQ rule in the shared corpus (rules, rules-placeholder,
 * rules-threat-hunting) parses and compiles. Read in place, never copied.
 */
import { join } from 'node:path';
import { loadRuleSet } from '../../src/sigma';

const corpus = join(__dirname, '..', '..', '..', 'shared', 'corpus', 'sigmahq');

test('every SigmaHQ corpus rule loads and compiles', async () => {
  const { ruleSet, errors } = await loadRuleSet([corpus], { placeholdersFile: join(__dirname, '..', '..', 'rules', 'sigma-config', 'placeholders.yml') });
  expect(errors.map((e) => e.message)).toEqual([]);
  expect(ruleSet.rules.length).toBe(288);
});
