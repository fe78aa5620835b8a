/**
 * The literal index must never skip a rule that matches: on every recorded event in the corpus,
 * every sample event of the rule pack, and upper-cased copies of all of them, indexed matching
 * returns exactly what evaluating every routed rule returns.
 */
import { sourceKinds } from '../../src/model/source';
import { loadRuleSet, ruleAppliesToSource } from '../../src/sigma';
import { readEventFile } from '../../src/collect/event-file';
import { EventView } from '../../src/sigma/event-view';
import { evaluateCondition } from '../../src/sigma/matcher';
import { falcoTraces, jsonFiles, placeholdersFile, projectRoot, sigmaHqRules, stratusLogs } from './corpus-paths';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

test('indexed matching equals brute force on every corpus event, for every source', async () => {
  const { ruleSet } = await loadRuleSet([sigmaHqRules, join(projectRoot, 'rules')], { placeholdersFile });
  const events: unknown[] = [];
  for (const f of [...jsonFiles(stratusLogs), ...jsonFiles(falcoTraces)]) events.push(...(await readEventFile(f)).events);
  // The rule pack's sample events cover process and auditd events and are built to hit rules.
  const testsDir = join(projectRoot, 'rules', 'tests');
  for (const stem of readdirSync(testsDir)) {
    for (const kind of ['match', 'nomatch']) {
      const file = join(testsDir, stem, `${kind}.ndjson`);
      if (existsSync(file)) events.push(...(await readEventFile(file)).events);
    }
  }
  // Case variants: the index must fold case exactly as the matchers do.
  events.push(...events.map((e) => JSON.parse(JSON.stringify(e), (_k, v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v))));
  expect(events.length).toBeGreaterThan(100);
  const view = new EventView();
  let matched = 0;
  for (const source of sourceKinds) {
    const routed = ruleSet.rules.filter((r) => ruleAppliesToSource(r.logsource, source));
    for (const event of events) {
      view.reset(event);
      const expected = routed.filter((r) => evaluateCondition(r.condition, view)).map((r) => r.ref.id);
      const actual = ruleSet.match(event, source).map((r) => r.id);
      expect(actual.sort()).toEqual(expected.sort());
      matched += actual.length;
    }
  }
  expect(matched).toBeGreaterThan(200); // the comparison covered real matches, not only misses
});
