/**
 * The embedded stack's parts that run on a given Temporal, shared by `vigil dev` and `vigil scenario run`: the
 * in-process MQTT broker unless MQTT_URL is set, a local webhook inbox unless VIGIL_WEBHOOK_URL is set and a Temporal
 * client, in this process; the worker and the ingest as processes of their own (`vigil worker`, `vigil ingest`:
 * role-process.ts), so neither takes the other's core (measured, issue 10: worker + ingest + load in one process
 * used 68% of a core and the worker's workflow tasks took 1-2 s; alone, 0.4-0.5 s). Each part's stop goes on `stops`
 * as soon as the part runs; stopped in reverse, the ingest stops before the worker.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { formatListen } from '../auth/listen-address';
import type { Config } from '../config';
import { VigilError } from '../error-codes';
import { connectClient } from '../temporal/client';
import { startDevBroker, type MqttLogin } from './dev-broker';
import { startRoleProcess } from './role-process';
import type { StopList } from './stop-list';
import { startWebhookInbox } from './webhook-inbox';

type Listen = { host: string; port: number };

export interface PipelineOptions {
  /** Where the ingest process serves its metrics; unset = a free loopback port (the parent reads its progress there). */
  metricsListen?: Listen;
  /** Where the worker process exports the Temporal SDK's metrics; unset = not exported. */
  temporalMetricsListen?: Listen;
}

export interface Pipeline {
  mqttUrl: string;
  /** The first tenant's collector login (the in-process broker's, else MQTT_USERNAME/MQTT_PASSWORD). */
  collectorLogin: MqttLogin;
  /** Where this run's broker logins are written, when the broker is in-process. */
  credentialsDir?: string;
  webhookUrl: string;
  client: Client;
  /** The ingest process' `/metrics` (its counts: scenario progress, see src/scenario/ingest-progress.ts). */
  ingestMetricsUrl: string;
  temporalMetricsUrl?: string;
  pids: { worker: number; ingest: number };
  /** Rejects with VGL_STACK_PROCESS_EXITED when the worker or the ingest process ends on its own; never resolves. */
  failed: Promise<never>;
}

/** Variables the parent decides for its children; the rest of their environment is this process'. */
function childEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export async function startPipeline(config: Config, address: string, stops: StopList, logger: Logger, options: PipelineOptions = {}): Promise<Pipeline> {
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
  // What the children must agree on with this process, whatever the environment says; each child's metrics ports
  // are its own (two processes cannot bind one).
  const common = {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE,
    VIGIL_DATA_DIR: config.VIGIL_DATA_DIR,
    VIGIL_RULES_DIR: config.VIGIL_RULES_DIR,
    VIGIL_TENANTS: config.VIGIL_TENANTS.join(','),
    VIGIL_METRICS_LISTEN: undefined,
    VIGIL_TEMPORAL_METRICS_LISTEN: undefined,
  };
  // Side by side: each loads the CLI and the SDK on its own core.
  const [workerStart, ingestStart] = await Promise.allSettled([
    startRoleProcess({
      role: 'worker',
      args: ['worker'],
      env: childEnv({ ...common, VIGIL_WEBHOOK_URL: webhookUrl, VIGIL_TEMPORAL_METRICS_LISTEN: options.temporalMetricsListen && formatListen(options.temporalMetricsListen) }),
      logger,
    }),
    startRoleProcess({
      role: 'ingest',
      args: ['ingest'],
      env: childEnv({
        ...common,
        MQTT_URL: mqttUrl,
        MQTT_USERNAME: logins.ingest.username,
        MQTT_PASSWORD: logins.ingest.password,
        VIGIL_INGEST_GROUP: shareGroup || 'none',
        VIGIL_METRICS_LISTEN: formatListen(options.metricsListen ?? { host: '127.0.0.1', port: 0 }),
      }),
      logger,
    }),
  ]);
  // Whatever started goes on the stop list, even if the other failed.
  for (const s of [workerStart, ingestStart]) if (s.status === 'fulfilled') stops.push(s.value.stop);
  if (workerStart.status === 'rejected') throw workerStart.reason;
  if (ingestStart.status === 'rejected') throw ingestStart.reason;
  const [worker, ingest] = [workerStart.value, ingestStart.value];
  const ingestMetricsUrl = ingest.ready.metricsUrl;
  if (!ingestMetricsUrl) throw new VigilError('VGL_STACK_PROCESS_EXITED', `the ingest process (pid ${ingest.pid}) announced no metrics endpoint`, { field: 'ingest' });
  const client = await connectClient(address, config.TEMPORAL_NAMESPACE);
  stops.push(() => client.connection.close());
  const failed = Promise.race([worker.failed, ingest.failed]);
  failed.catch(() => undefined);
  return {
    mqttUrl,
    collectorLogin: logins.collector,
    ...(logins.credentialsDir ? { credentialsDir: logins.credentialsDir } : {}),
    webhookUrl,
    client,
    ingestMetricsUrl,
    ...(worker.ready.temporalMetricsUrl ? { temporalMetricsUrl: worker.ready.temporalMetricsUrl } : {}),
    pids: { worker: worker.pid, ingest: ingest.pid },
    failed,
  };
}
