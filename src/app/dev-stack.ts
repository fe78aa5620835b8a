/**
 * `vigil dev` (= `npm start`): the whole stack on one machine — Temporal dev server (SQLite under the
 * data folder, UI, search attributes), the codec endpoint, an in-process MQTT broker unless MQTT_URL is
 * set, a worker process, an ingest process (pipeline.ts), and a demo collector replaying the bundled attack
 * scenarios. Ctrl-C stops everything in reverse order; a worker or ingest process that ends on its own ends it
 * too (`failed`).
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
import { startPipeline } from './pipeline';
import type { StopList } from './stop-list';

export interface DevOptions {
  demo: boolean;
  /** Scenario replay speed-up. */
  speed: number;
}

export interface DevStack {
  /** Rejects with VGL_STACK_PROCESS_EXITED when the worker or the ingest process ends on its own. */
  failed: Promise<never>;
}

/**
 * Starts the stack; resolves once the demo (if any) has been published. Each part's stop goes on `stops`, so a
 * caller that stops them while this is under way (Ctrl-C during start-up or the demo) stops what runs.
 */
export async function startDevStack(config: Config, options: DevOptions, logger: Logger, out: (line: string) => void, stops: StopList): Promise<DevStack> {
  let failed: Promise<never>;
  try {
    // Before the dev server: the SDK's core runtime is built once per process, on first use; its lines go through our
    // logger. Its metrics exporter belongs to the worker process (pipeline.ts), not this one.
    installTemporalRuntime(logger);
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
    // The ingest process serves VIGIL_METRICS_LISTEN (it holds the counters), the worker process the SDK's exporter.
    const pipeline = await startPipeline(config, address, stops, logger, {
      ...(config.VIGIL_METRICS_LISTEN ? { metricsListen: config.VIGIL_METRICS_LISTEN } : {}),
      ...(config.VIGIL_TEMPORAL_METRICS_LISTEN ? { temporalMetricsListen: config.VIGIL_TEMPORAL_METRICS_LISTEN } : {}),
    });
    failed = pipeline.failed;
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
        `  Processes        worker pid ${pipeline.pids.worker}, ingest pid ${pipeline.pids.ingest}`,
        ...(config.VIGIL_METRICS_LISTEN ? [`  Metrics          ${pipeline.ingestMetricsUrl}  (ingest)`] : []),
        ...(pipeline.temporalMetricsUrl ? [`  Temporal metrics ${pipeline.temporalMetricsUrl}  (worker)`] : []),
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
  return { failed };
}
