/**
 * The ingest role: runs the MQTT → validate → archive → match → route pipeline with hot-reloaded
 * rules. Scale out by running more of these with the same shared-subscription group.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { EntityRouter } from '../ingest/entity-router';
import { startIngest, type IngestService } from '../ingest/ingest-service';
import { RawArchive } from '../ingest/raw-archive';
import type { RuleSet } from '../sigma';
import { startRuleRuntime } from './rule-runtime';

export interface IngestRole {
  service: IngestService;
  rules(): RuleSet;
  stop(): Promise<void>;
}

export async function startIngestRole(config: Config, mqttUrl: string, client: Client, logger: Logger, shareGroup = config.VIGIL_INGEST_GROUP): Promise<IngestRole> {
  const runtime = await startRuleRuntime(config, logger.child({ role: 'rules' }));
  const archive = new RawArchive(path.join(config.VIGIL_DATA_DIR, 'archive'), {
    ...(config.VIGIL_ARCHIVE_RETENTION !== undefined ? { retentionMs: config.VIGIL_ARCHIVE_RETENTION } : {}),
    logger: logger.child({ role: 'archive' }),
  });
  const service = await startIngest({
    mqttUrl,
    mqttUsername: config.MQTT_USERNAME,
    mqttPassword: config.MQTT_PASSWORD,
    clientId: `vigil-ingest-${hostname()}-${shareGroup || 'solo'}`,
    shareGroup,
    connections: config.VIGIL_INGEST_CONNECTIONS,
    maxAttempts: config.VIGIL_INGEST_MAX_ATTEMPTS,
    tenants: config.VIGIL_TENANTS,
    rules: runtime.ruleSet,
    builder: runtime.builder,
    router: new EntityRouter(client, logger.child({ role: 'router' }), { uiBaseUrl: config.TEMPORAL_UI_URL ?? `http://localhost:${config.TEMPORAL_UI_PORT}` }),
    archive,
    stateDir: path.join(config.VIGIL_DATA_DIR, 'ingest'),
    logger: logger.child({ role: 'ingest' }),
  });
  return {
    service,
    rules: runtime.ruleSet,
    stop: async () => {
      await service.stop();
      runtime.close();
      await archive.close();
    },
  };
}
