/**
 * Compatibility: every SigmaHQ rule in the vendored corpus (test/corpus) (rules, rules-placeholder,
 * rules-threat-hunting) parses and compiles. Read in place, never copied.
 */
import { loadRuleSet } from '../../src/sigma';
import { placeholdersFile, sigmaHqRules } from './corpus-paths';

test('every SigmaHQ corpus rule loads and compiles', async () => {
  const { ruleSet, errors } = await loadRuleSet([sigmaHqRules], { placeholdersFile });
  expect(errors.map((e) => e.message)).toEqual([]);
  expect(ruleSet.rules).toHaveLength(288);
});
