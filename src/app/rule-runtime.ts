/**
 * Rules as a running process sees them: the Sigma rule set (hot-reloaded by RuleWatcher; a broken edit
 * keeps the previous version of that file), the entity mapping, and the correlation routing derived
 * from both, rebuilt only when the rule set version changes. Ingest and workers each hold one.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { fieldsNeeded } from '../correlation';
import type { Config } from '../config';
import { CorrelationRouting } from '../ingest/correlation-routing';
import { DetectionBuilder } from '../ingest/detection-builder';
import { EntityMapping } from '../ingest/entity-mapping';
import { RuleWatcher, type RuleSet } from '../sigma';

export interface RuleRuntime {
  ruleSet(): RuleSet;
  routing(): CorrelationRouting;
  builder(): DetectionBuilder;
  close(): void;
}

export async function startRuleRuntime(config: Pick<Config, 'VIGIL_RULES_DIR'>, logger: Logger): Promise<RuleRuntime> {
  const dir = config.VIGIL_RULES_DIR;
  const entities = EntityMapping.fromFile(path.join(dir, 'entities', 'entities.yml'));
  const placeholders = path.join(dir, 'sigma-config', 'placeholders.yml');
  const watcher = await RuleWatcher.start(
    [path.join(dir, 'sigma'), path.join(dir, 'correlations')].filter((p) => existsSync(p)),
    { logger, placeholdersFile: existsSync(placeholders) ? placeholders : undefined },
  );
  for (const err of watcher.errors) logger.error({ code: err.code, location: err.location }, err.message);
  logger.info({ version: watcher.ruleSet.version, rules: watcher.ruleSet.rules.length, correlations: watcher.ruleSet.correlations.length }, 'rules loaded');

  let derived: { version: string; routing: CorrelationRouting; builder: DetectionBuilder } | undefined;
  const current = (): NonNullable<typeof derived> => {
    const ruleSet = watcher.ruleSet;
    if (derived === undefined || derived.version !== ruleSet.version) {
      const routing = new CorrelationRouting(ruleSet.version, ruleSet.correlations, entities);
      derived = { version: ruleSet.version, routing, builder: new DetectionBuilder(entities, routing, fieldsNeeded(ruleSet.correlations)) };
    }
    return derived;
  };
  return {
    ruleSet: () => watcher.ruleSet,
    routing: () => current().routing,
    builder: () => current().builder,
    close: () => watcher.close(),
  };
}
