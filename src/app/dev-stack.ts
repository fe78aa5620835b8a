/**
 * `vigil dev` (= `npm start`): the whole stack on one machine — Temporal dev server (SQLite under the
 * data folder, UI, search attributes), the codec endpoint, an in-process MQTT broker unless MQTT_URL is
 * set, a worker, the ingest, and a demo collector replaying the bundled attack scenarios. Ctrl-C stops
 * everything in reverse order.
 */
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { connectPublisherNow } from '../collect/publisher-connection';
import type { Logger } from 'pino';
import { replayScenario } from '../collect/scenario-replay';
import type { Config } from '../config';
import { connectClient } from '../temporal/client';
import { startCodecServer } from '../temporal/codec-server';
import { startDevServer } from '../temporal/dev-server';
import { installTemporalMetrics } from '../temporal/runtime-metrics';
import { startDevBroker, type MqttLogin } from './dev-broker';
import { startIngestRole } from './ingest-process';
import { startMetricsEndpoint } from './metrics-endpoint';
import { startWorkerRole } from './worker-process';

export interface DevOptions {
  demo: boolean;
  /** Scenario replay speed-up. */
  speed: number;
}

type Stopper = () => Promise<unknown>;

/** Starts the stack; resolves with a stop function once the demo (if any) has been published. */
export async function startDevStack(config: Config, options: DevOptions, logger: Logger, out: (line: string) => void): Promise<() => Promise<void>> {
  const stops: Stopper[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'error while stopping');
      }
    }
  };
  try {
    // Before the dev server and the worker: the SDK's core runtime is built once per process, on first use.
    const temporalMetricsUrl = config.VIGIL_TEMPORAL_METRICS_LISTEN ? installTemporalMetrics(config.VIGIL_TEMPORAL_METRICS_LISTEN, logger) : undefined;
    const metrics = await startMetricsEndpoint(config, 'dev', logger);
    if (metrics) stops.push(metrics.close);
    const uiUrl = config.TEMPORAL_UI_URL ?? `http://localhost:${config.TEMPORAL_UI_PORT}`;
    // No token here: the dev UI calls the codec from the browser and cannot send one (see codec-server.ts).
    const codec = await startCodecServer({ port: config.VIGIL_CODEC_PORT, host: config.VIGIL_CODEC_HOST, allowedOrigin: new URL(uiUrl).origin, logger: logger.child({ role: 'codec' }) });
    stops.push(codec.close);
    let address = config.TEMPORAL_ADDRESS;
    if (!address) {
      const server = await startDevServer({
        logger: logger.child({ role: 'temporal' }),
        namespace: config.TEMPORAL_NAMESPACE,
        dbFile: path.join(config.VIGIL_DATA_DIR, 'temporal.sqlite'),
        port: config.TEMPORAL_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        codecEndpoint: codec.url,
      });
      stops.push(server.stop);
      address = server.address;
    }
    let mqttUrl = config.MQTT_URL;
    let shareGroup = config.VIGIL_INGEST_GROUP;
    // With a broker of the user's, ingest and the demo log in with MQTT_USERNAME/MQTT_PASSWORD.
    const configured: MqttLogin = { username: config.MQTT_USERNAME, password: config.MQTT_PASSWORD };
    let logins = { ingest: configured, demoCollector: configured, note: '' };
    if (!mqttUrl) {
      const broker = await startDevBroker(config, logger.child({ role: 'broker' }));
      stops.push(broker.close);
      mqttUrl = broker.url;
      shareGroup = ''; // the in-process broker speaks MQTT 3.1.1: no shared subscriptions
      logins = { ingest: broker.ingest, demoCollector: broker.demoCollector, note: `; logins for this run: ${broker.credentialsDir}/*.env` };
    }
    let webhookUrl = config.VIGIL_WEBHOOK_URL;
    if (!webhookUrl) {
      const inbox = await startDemoInbox(logger.child({ role: 'demo-inbox' }));
      stops.push(() => new Promise<void>((r) => inbox.server.close(() => r())));
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
    const ingest = await startIngestRole({ ...config, MQTT_USERNAME: logins.ingest.username, MQTT_PASSWORD: logins.ingest.password }, mqttUrl, client, logger, shareGroup, metrics?.registry);
    stops.push(ingest.stop);

    const query = `WorkflowType = 'correlatorWorkflow' AND TenantId = '${config.VIGIL_TENANTS[0]}' AND RiskScore > 0`;
    out(
      [
        '',
        'Vigil is running.',
        `  Temporal UI      ${uiUrl}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows`,
        `  Risky entities   ${uiUrl}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows?query=${encodeURIComponent(query)}`,
        `  Temporal gRPC    ${address}`,
        `  MQTT broker      ${mqttUrl}  (publish to vigil/v1/{tenant}/events/{source}${logins.note})`,
        `  Notifications    ${webhookUrl}`,
        ...(metrics ? [`  Metrics          ${metrics.url}`] : []),
        ...(temporalMetricsUrl ? [`  Temporal metrics ${temporalMetricsUrl}`] : []),
        '  Correlators are `entity:{tenant}:{type}:{id}`, playbooks `playbook:{name}:{tenant}:{target}` (or `playbook:{name}:{alert}`).',
        '  Approve a waiting playbook: npx vigil approve <playbook-workflow-id> --as alice',
        '  Ctrl-C stops everything; state is kept in ' + config.VIGIL_DATA_DIR,
        '',
      ].join('\n'),
    );

    if (options.demo) {
      const dir = path.join(config.VIGIL_RULES_DIR, 'scenarios');
      const publisher = await connectPublisherNow(mqttUrl, { clientId: `vigil-demo-${process.pid}`, ...logins.demoCollector }, logger);
      stops.push(() => publisher.endAsync());
      const runId = new Date().toISOString().replace(/[-:.TZ]/g, '');
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.ndjson')).sort()) {
        out(`demo: replaying ${file} (${options.speed}x)`);
        await replayScenario({ client: publisher, tenant: config.VIGIL_TENANTS[0]!, file: path.join(dir, file), speed: options.speed, runId, logger });
      }
      out('demo: scenarios published; alerts and playbooks appear in the Temporal UI within seconds.');
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return stopAll;
}

/** A local webhook receiver for the demo, so playbook notifications are visible without Slack. */
async function startDemoInbox(logger: Logger): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      let notice: unknown = body;
      try {
        notice = JSON.parse(body);
      } catch {
        // keep the raw text
      }
      logger.info({ notice }, 'notification received');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/notify`, server };
}
