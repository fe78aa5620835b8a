/**
 * The ingest role: runs the MQTT → validate → archive → match → route pipeline with hot-reloaded
 * rules. Scale out by running more of these with the same shared-subscription group.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config';
import { EntityRouter } from '../ingest/entity-router';
import { startIngest, type IngestService } from '../ingest/ingest-service';
import { RawArchive } from '../ingest/raw-archive';
import { IngestMetrics, mirrorCounter, mirrorGauge } from '../metrics';
import type { RuleSet } from '../sigma';
import { archiveStoreOf } from './archive-store';
import { startRuleRuntime } from './rule-runtime';

export interface IngestRole {
  service: IngestService;
  rules(): RuleSet;
  stop(): Promise<void>;
}

/** `registry`: where ingest's metrics go (src/app/metrics-endpoint.ts); absent = not measured. */
export async function startIngestRole(config: Config, mqttUrl: string, client: Client, logger: Logger, shareGroup = config.VIGIL_INGEST_GROUP, registry?: Registry): Promise<IngestRole> {
  const metrics = registry ? new IngestMetrics(registry, config.VIGIL_TENANTS) : undefined;
  const runtime = await startRuleRuntime(config, logger.child({ role: 'rules' }));
  const archive = new RawArchive(archiveStoreOf(config), {
    ...(config.VIGIL_ARCHIVE_RETENTION !== undefined ? { retentionMs: config.VIGIL_ARCHIVE_RETENTION } : {}),
    logger: logger.child({ role: 'archive' }),
  });
  const service = await startIngest({
    mqttUrl,
    mqttUsername: config.MQTT_USERNAME,
    mqttPassword: config.MQTT_PASSWORD,
    clientId: config.VIGIL_INGEST_CLIENT_ID ?? `vigil-ingest-${hostname()}-${shareGroup || 'solo'}`,
    shareGroup,
    connections: config.VIGIL_INGEST_CONNECTIONS,
    maxInFlightPerConnection: config.VIGIL_INGEST_WINDOW,
    maxBytesPerConnection: config.VIGIL_INGEST_WINDOW_BYTES,
    maxAttempts: config.VIGIL_INGEST_MAX_ATTEMPTS,
    tenants: config.VIGIL_TENANTS,
    rules: runtime.ruleSet,
    builder: runtime.builder,
    router: new EntityRouter(client, logger.child({ role: 'router' }), { uiBaseUrl: config.TEMPORAL_UI_URL ?? `http://localhost:${config.TEMPORAL_UI_PORT}`, ...(metrics ? { metrics } : {}) }),
    archive,
    stateDir: path.join(config.VIGIL_DATA_DIR, 'ingest'),
    logger: logger.child({ role: 'ingest' }),
    ...(metrics ? { metrics } : {}),
  });
  if (registry) mirrorIngestStats(registry, service);
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

/** The counters IngestService keeps anyway, read when Prometheus scrapes. */
function mirrorIngestStats(registry: Registry, service: IngestService): void {
  const stats = (): IngestService['stats'] => service.stats;
  mirrorCounter(registry, { name: 'vigil_ingest_messages_total', help: 'MQTT messages received (redeliveries included).' }, () => stats().messages);
  mirrorCounter(registry, { name: 'vigil_ingest_acknowledged_total', help: 'MQTT messages acknowledged (PUBACK) after their hand-off.' }, () => stats().acknowledged);
  mirrorCounter(registry, { name: 'vigil_ingest_dead_letters_kept_total', help: 'Dead letters the broker did not take, kept in VIGIL_DATA_DIR/ingest/deadletter.' }, () => stats().deadLettersKept);
  mirrorCounter(registry, { name: 'vigil_mqtt_reconnects_total', help: "Reconnections of this process' MQTT connections.", labels: { role: 'ingest' } }, () => stats().reconnects);
  mirrorGauge(registry, { name: 'vigil_ingest_ack_window_messages', help: 'Messages received and not yet acknowledged, over every consuming connection (ack window occupancy).' }, () => stats().unacknowledged);
  mirrorGauge(registry, { name: 'vigil_ingest_ack_window_capacity', help: 'Messages handled at once over every consuming connection before reading pauses.' }, () => stats().ackWindowCapacity);
  mirrorGauge(registry, { name: 'vigil_ingest_subscribed_connections', help: 'Consuming connections whose subscription the broker currently grants.' }, () => stats().subscribedConnections);
}
