/**
 * The embedded stack's parts that run on a given Temporal, shared by `vigil dev` and `vigil scenario run`: the
 * in-process MQTT broker unless MQTT_URL is set, a local webhook inbox unless VIGIL_WEBHOOK_URL is set, the worker,
 * a Temporal client and the ingest. Each part's stop goes on `stops` as soon as the part runs.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config';
import { connectClient } from '../temporal/client';
import { startDevBroker, type MqttLogin } from './dev-broker';
import { startIngestRole, type IngestRole } from './ingest-process';
import type { StopList } from './stop-list';
import { startWebhookInbox } from './webhook-inbox';
import { startWorkerRole } from './worker-process';

export interface Pipeline {
  mqttUrl: string;
  /** The first tenant's collector login (the in-process broker's, else MQTT_USERNAME/MQTT_PASSWORD). */
  collectorLogin: MqttLogin;
  /** Where this run's broker logins are written, when the broker is in-process. */
  credentialsDir?: string;
  webhookUrl: string;
  client: Client;
  ingest: IngestRole;
}

export async function startPipeline(config: Config, address: string, stops: StopList, logger: Logger, registry?: Registry): Promise<Pipeline> {
  let mqttUrl = config.MQTT_URL;
  let shareGroup = config.VIGIL_INGEST_GROUP;
  // With a broker of the user's, ingest and collectors log in with MQTT_USERNAME/MQTT_PASSWORD.
  const configured: MqttLogin = { username: config.MQTT_USERNAME, password: config.MQTT_PASSWORD };
  let logins = { ingest: configured, collector: configured, credentialsDir: undefined as string | undefined };
  if (!mqttUrl) {
    const broker = await startDevBroker(config, logger.child({ role: 'broker' }));
    stops.push(broker.close);
    mqttUrl = broker.url;
    shareGroup = ''; // the in-process broker speaks MQTT 3.1.1: no shared subscriptions
    logins = { ingest: broker.ingest, collector: broker.demoCollector, credentialsDir: broker.credentialsDir };
  }
  let webhookUrl = config.VIGIL_WEBHOOK_URL;
  if (!webhookUrl) {
    const inbox = await startWebhookInbox(logger.child({ role: 'demo-inbox' }));
    stops.push(inbox.close);
    webhookUrl = inbox.url;
  }
  const workers = await startWorkerRole({ ...config, VIGIL_WEBHOOK_URL: webhookUrl }, address, logger);
  const running = workers.run();
  stops.push(async () => {
    await workers.shutdown();
    await running;
  });
  const client = await connectClient(address, config.TEMPORAL_NAMESPACE);
  stops.push(() => client.connection.close());
  const ingest = await startIngestRole({ ...config, MQTT_USERNAME: logins.ingest.username, MQTT_PASSWORD: logins.ingest.password }, mqttUrl, client, logger, shareGroup, registry);
  stops.push(ingest.stop);
  return { mqttUrl, collectorLogin: logins.collector, ...(logins.credentialsDir ? { credentialsDir: logins.credentialsDir } : {}), webhookUrl, client, ingest };
}
