/**
 * The ingest role: loads (and hot-reloads) detection rules and the entity mapping, then runs the
 * MQTT → archive → match → route pipeline. Scale out by running more of these with the same
 * shared-subscription group.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { fieldsNeeded } from '../correlation';
import { DetectionBuilder } from '../ingest/detection-builder';
import { EntityMapping } from '../ingest/entity-mapping';
import { EntityRouter } from '../ingest/entity-router';
import { startIngest, type IngestService } from '../ingest/ingest-service';
import { RawArchive } from '../ingest/raw-archive';
import { RuleWatcher, type RuleSet } from '../sigma';

function placeholdersFileIn(rulesDir: string): string | undefined {
  const file = path.join(rulesDir, 'sigma-config', 'placeholders.yml');
  return existsSync(file) ? file : undefined;
}

export interface IngestRole {
  service: IngestService;
  rules(): RuleSet;
  stop(): Promise<void>;
}

export async function startIngestRole(config: Config, mqttUrl: string, client: Client, logger: Logger, shareGroup = config.VIGIL_INGEST_GROUP): Promise<IngestRole> {
  const entities = EntityMapping.fromFile(path.join(config.VIGIL_RULES_DIR, 'entities', 'entities.yml'));
  const rulesLogger = logger.child({ role: 'rules' });
  const watcher = await RuleWatcher.start([path.join(config.VIGIL_RULES_DIR, 'sigma'), path.join(config.VIGIL_RULES_DIR, 'correlations')], {
    logger: rulesLogger,
    placeholdersFile: placeholdersFileIn(config.VIGIL_RULES_DIR),
  });
  for (const err of watcher.errors) rulesLogger.error({ code: err.code, location: err.location }, err.message);
  rulesLogger.info({ version: watcher.ruleSet.version, rules: watcher.ruleSet.rules.length, correlations: watcher.ruleSet.correlations.length }, 'rules loaded');
  // Rebuilt only when the rule set changes: the builder copies the fields the current correlations need.
  let builderFor: { version: string; builder: DetectionBuilder } | undefined;
  const builder = (): DetectionBuilder => {
    const ruleSet = watcher.ruleSet;
    if (builderFor === undefined || builderFor.version !== ruleSet.version) {
      builderFor = { version: ruleSet.version, builder: new DetectionBuilder(entities, fieldsNeeded(ruleSet.correlations)) };
    }
    return builderFor.builder;
  };
  const archive = new RawArchive(path.join(config.VIGIL_DATA_DIR, 'archive'));
  const service = await startIngest({
    mqttUrl,
    mqttUsername: config.MQTT_USERNAME,
    mqttPassword: config.MQTT_PASSWORD,
    clientId: `vigil-ingest-${hostname()}`,
    shareGroup,
    tenants: config.VIGIL_TENANTS,
    rules: () => watcher.ruleSet,
    builder,
    router: new EntityRouter(client, logger.child({ role: 'router' })),
    archive,
    logger: logger.child({ role: 'ingest' }),
  });
  return {
    service,
    rules: () => watcher.ruleSet,
    stop: async () => {
      await service.stop();
      watcher.close();
      await archive.close();
    },
  };
}
