/**
 * `vigil dev` (= `npm start`): the whole stack on one machine — Temporal dev server (SQLite under the
 * data folder, UI, search attributes), the codec endpoint, an in-process MQTT broker unless MQTT_URL is
 * set, a worker, the ingest, and a demo collector replaying the bundled attack scenarios. Ctrl-C stops
 * everything in reverse order.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { connectPublisherNow } from '../collect/publisher-connection';
import type { Logger } from 'pino';
import { replayScenario } from '../collect/scenario-replay';
import type { Config } from '../config';
import { startCodecServer } from '../temporal/codec-server';
import { startDevServer } from '../temporal/dev-server';
import { installTemporalRuntime } from '../temporal/runtime';
import { startMetricsEndpoint } from './metrics-endpoint';
import { startPipeline } from './pipeline';
import { StopList } from './stop-list';

export interface DevOptions {
  demo: boolean;
  /** Scenario replay speed-up. */
  speed: number;
}

/** Starts the stack; resolves with a stop function once the demo (if any) has been published. */
export async function startDevStack(config: Config, options: DevOptions, logger: Logger, out: (line: string) => void): Promise<() => Promise<void>> {
  const stops = new StopList(logger);
  try {
    // Before the dev server and the worker: the SDK's core runtime is built once per process, on first use.
    const temporalMetricsUrl = installTemporalRuntime(logger, config.VIGIL_TEMPORAL_METRICS_LISTEN);
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
    const pipeline = await startPipeline(config, address, stops, logger, metrics?.registry);
    const loginNote = pipeline.credentialsDir ? `; logins for this run: ${pipeline.credentialsDir}/*.env` : '';

    const query = `WorkflowType = 'correlatorWorkflow' AND TenantId = '${config.VIGIL_TENANTS[0]}' AND RiskScore > 0`;
    out(
      [
        '',
        'Vigil is running.',
        `  Temporal UI      ${uiUrl}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows`,
        `  Risky entities   ${uiUrl}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows?query=${encodeURIComponent(query)}`,
        `  Temporal gRPC    ${address}`,
        `  MQTT broker      ${pipeline.mqttUrl}  (publish to vigil/v1/{tenant}/events/{source}${loginNote})`,
        `  Notifications    ${pipeline.webhookUrl}`,
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
      const publisher = await connectPublisherNow(pipeline.mqttUrl, { clientId: `vigil-demo-${process.pid}`, ...pipeline.collectorLogin }, logger);
      stops.push(() => publisher.endAsync());
      const runId = new Date().toISOString().replace(/[-:.TZ]/g, '');
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.ndjson')).sort()) {
        out(`demo: replaying ${file} (${options.speed}x)`);
        await replayScenario({ client: publisher, tenant: config.VIGIL_TENANTS[0]!, file: path.join(dir, file), speed: options.speed, runId, logger });
      }
      out('demo: scenarios published; alerts and playbooks appear in the Temporal UI within seconds.');
    }
  } catch (err) {
    await stops.stopAll();
    throw err;
  }
  return () => stops.stopAll();
}
