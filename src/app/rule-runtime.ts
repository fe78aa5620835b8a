/**
 * Rules as a running process sees them: the Sigma rule set (hot-reloaded by RuleWatcher, which logs
 * every rejected file once with its code and location; a broken or over-bound edit keeps the previous
 * version of that file), the entity mapping, and the correlation routing derived from both, rebuilt
 * only when the rule set version changes. Ingest and workers each hold one.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ruleLimitsOf, type Config, type RuleLimitConfig } from '../config';
import { CorrelationRouting } from '../ingest/correlation-routing';
import { DetectionBuilder } from '../ingest/detection-builder';
import { DetectionFields } from '../ingest/detection-fields';
import { EntityMapping } from '../ingest/entity-mapping';
import { RuleWatcher, type RuleSet } from '../sigma';

export interface RuleRuntime {
  ruleSet(): RuleSet;
  routing(): CorrelationRouting;
  builder(): DetectionBuilder;
  close(): void;
}

/** The entity mapping of a rules folder (`entities/entities.yml`). */
export function entityMappingOf(rulesDir: string): EntityMapping {
  return EntityMapping.fromFile(path.join(rulesDir, 'entities', 'entities.yml'));
}

/** How detections of `ruleSet` are built and routed: ingest's, and a hunt's that sends its hits to correlators. */
export function detectionBuilderFor(ruleSet: Pick<RuleSet, 'version' | 'correlations' | 'rules'>, entities: EntityMapping): { routing: CorrelationRouting; builder: DetectionBuilder } {
  const routing = new CorrelationRouting(ruleSet.version, ruleSet.correlations, entities);
  return { routing, builder: new DetectionBuilder(entities, routing, new DetectionFields(ruleSet.correlations, ruleSet.rules)) };
}

/** Rule limits not given in `config` take their defaults. */
export async function startRuleRuntime(config: Pick<Config, 'VIGIL_RULES_DIR'> & Partial<RuleLimitConfig>, logger: Logger): Promise<RuleRuntime> {
  const dir = config.VIGIL_RULES_DIR;
  const entities = entityMappingOf(dir);
  const placeholders = path.join(dir, 'sigma-config', 'placeholders.yml');
  const watcher = await RuleWatcher.start(
    [path.join(dir, 'sigma'), path.join(dir, 'correlations')].filter((p) => existsSync(p)),
    { logger, placeholdersFile: existsSync(placeholders) ? placeholders : undefined, limits: ruleLimitsOf(config) },
  );
  logger.info({ version: watcher.ruleSet.version, rules: watcher.ruleSet.rules.length, correlations: watcher.ruleSet.correlations.length, problems: watcher.errors.length }, 'rules loaded');

  let derived: { version: string; routing: CorrelationRouting; builder: DetectionBuilder } | undefined;
  const current = (): NonNullable<typeof derived> => {
    const ruleSet = watcher.ruleSet;
    if (derived === undefined || derived.version !== ruleSet.version) {
      derived = { version: ruleSet.version, ...detectionBuilderFor(ruleSet, entities) };
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
