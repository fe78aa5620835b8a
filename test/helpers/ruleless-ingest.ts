/**
 * A real ingest on the run's Mosquitto and Temporal that has no detection rule: it archives every event and detects
 * nothing, as when events arrived before the rule a hunt now tries existed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startRuleRuntime } from '../../src/app/rule-runtime';
import { EntityRouter } from '../../src/ingest/entity-router';
import { startIngest, type IngestService } from '../../src/ingest/ingest-service';
import type { RawArchive } from '../../src/ingest/raw-archive';
import { makeRulesDir } from './rules-dir';
import { sharedMqttUrl } from './shared-servers';
import { testLogger } from './temporal-env';

export interface RulelessIngest {
  readonly service: IngestService;
  /** Stops ingest and its rules (not the archive: the caller closes what it opened). */
  stop(): Promise<void>;
}

/** `name` (default `tenants[0]`) names the client id and shared-subscription group: ingests of other names each get every event. */
export async function startRulelessIngest(client: Client, archive: RawArchive, tenants: string[], name = tenants[0]!): Promise<RulelessIngest> {
  const runtime = await startRuleRuntime({ VIGIL_RULES_DIR: makeRulesDir({}) }, testLogger);
  const service = await startIngest({
    mqttUrl: sharedMqttUrl(),
    clientId: `ingest-${name}`,
    shareGroup: `g-${name}`,
    connections: 1,
    tenants,
    rules: runtime.ruleSet,
    builder: runtime.builder,
    router: new EntityRouter(client, testLogger),
    archive,
    stateDir: mkdtempSync(path.join(tmpdir(), 'vigil-ingest-state-')),
    logger: testLogger,
  });
  return {
    service,
    stop: async () => {
      await service.stop();
      runtime.close();
    },
  };
}
