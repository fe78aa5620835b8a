/** `vigil dev`, `vigil worker`, `vigil ingest`, `vigil replay`: the processes of the stack. */
import { connectPublisherNow } from '../collect/publisher-connection';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { startDevStack } from '../app/dev-stack';
import { startIngestRole } from '../app/ingest-process';
import { startMetricsEndpoint } from '../app/metrics-endpoint';
import { announceReady, parentGone } from '../app/role-ipc';
import { StopList } from '../app/stop-list';
import { startWorkerRole } from '../app/worker-process';
import { replayScenario } from '../collect/scenario-replay';
import { loadConfig } from '../config';
import { requireMqtt } from './cli-options';
import { VigilError } from '../error-codes';
import { resolveTemporalCli, TEMPORAL_CLI_VERSION } from '../temporal/cli-resolver';
import { connectClient } from '../temporal/client';
import { startCodecServer } from '../temporal/codec-server';
import { registerSearchAttributes } from '../temporal/register-search-attributes';
import { installTemporalRuntime } from '../temporal/runtime';
import { vigilSearchAttributes } from '../temporal/search-attributes';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Resolves on the first SIGINT/SIGTERM, or when the stack that started this process is gone (role-ipc.ts). */
function untilSignal(): Promise<string> {
  const signal = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  return Promise.race([signal, parentGone()]);
}

function requireAddress(address: string | undefined): string {
  if (!address) throw new VigilError('VGL_CONFIG_INVALID', 'TEMPORAL_ADDRESS is required for this command (host:port of the Temporal frontend)', { field: 'TEMPORAL_ADDRESS' });
  return address;
}

/**
 * `vigil worker --tenants a,b`: poll only these tenants' task queues (scale a busy tenant out to its own workers).
 * Validated as VIGIL_TENANTS is. Not offered on ingest: its subscription takes every tenant's events and would
 * dead-letter those of tenants it was told not to serve.
 */
const tenantsOption = ['--tenants <list>', 'comma-separated tenants whose task queues this worker polls (default: VIGIL_TENANTS)'] as const;
const tenantsOverride = (opts: { tenants?: string }): Record<string, string> => (opts.tenants ? { VIGIL_TENANTS: opts.tenants } : {});

export function registerStackCommands(program: Command, logger: Logger): void {
  program
    .command('setup')
    .description(`Find or build the Temporal CLI (${TEMPORAL_CLI_VERSION}) that runs the dev server; prints its path`)
    .option('--json', 'print {"type","path","origin"} as JSON')
    .option('--search-attributes', "instead: register Vigil's search attributes on TEMPORAL_NAMESPACE at TEMPORAL_ADDRESS (idempotent; `vigil worker` does it too)")
    .action(async (opts: { json?: boolean; searchAttributes?: boolean }) => {
      if (opts.searchAttributes) {
        const config = loadConfig();
        const client = await connectClient(requireAddress(config.TEMPORAL_ADDRESS), config.TEMPORAL_NAMESPACE);
        try {
          await registerSearchAttributes(client.connection, config.TEMPORAL_NAMESPACE, logger);
        } finally {
          await client.connection.close();
        }
        out(`${vigilSearchAttributes.map((key) => key.name).join(', ')} registered on ${config.TEMPORAL_NAMESPACE}`);
        return;
      }
      const exe = await resolveTemporalCli({ logger });
      out(opts.json ? JSON.stringify(exe) : exe.type === 'existing-path' ? `temporal CLI: ${exe.path} (${exe.origin})` : 'temporal CLI: downloaded by @temporalio/testing on first use');
    });

  program
    .command('dev')
    .description('Run the whole stack on this machine (Temporal dev server + UI, MQTT broker, worker, ingest) with a demo attack replay')
    .option('--no-demo', 'do not replay the bundled attack scenarios')
    .option('--speed <factor>', 'scenario replay speed-up', '20')
    .option('--data-dir <dir>', 'state folder (Temporal SQLite, event archive); env VIGIL_DATA_DIR')
    .action(async (opts: { demo: boolean; speed: string; dataDir?: string }) => {
      const config = loadConfig(process.env, { VIGIL_DATA_DIR: opts.dataDir });
      const speed = Number(opts.speed);
      if (!(speed > 0)) throw new VigilError('VGL_CONFIG_INVALID', `--speed must be a positive number, got '${opts.speed}'`, { field: '--speed' });
      // Listening before anything starts: a Ctrl-C during start-up or the demo stops what runs. (The Temporal SDK's
      // runtime, which the dev server loads, would otherwise take the signal for itself and keep the process up.)
      const signalled = untilSignal();
      const stops = new StopList(logger);
      try {
        const starting = startDevStack(config, { demo: opts.demo, speed }, logger, out, stops);
        // Stopped half-way, the start fails on what was stopped under it: the signal is the news.
        starting.catch(() => undefined);
        const stack = await Promise.race([starting, signalled]);
        out(`stopping after ${typeof stack === 'string' ? stack : await Promise.race([signalled, stack.failed])}...`);
      } finally {
        await stops.stopAll();
      }
    });

  program
    .command('worker')
    .description('Run correlator and playbook workers for every tenant in VIGIL_TENANTS (needs TEMPORAL_ADDRESS)')
    .option(...tenantsOption)
    .action(async (opts: { tenants?: string }) => {
      const config = loadConfig(process.env, tenantsOverride(opts));
      const address = requireAddress(config.TEMPORAL_ADDRESS);
      // Before the first NativeConnection: the SDK's core runtime is built once per process.
      const temporalMetricsUrl = installTemporalRuntime(logger, config.VIGIL_TEMPORAL_METRICS_LISTEN);
      const metrics = await startMetricsEndpoint(config, 'worker', logger);
      try {
        const workers = await startWorkerRole(config, address, logger);
        const running = workers.run();
        announceReady({ role: 'worker', ...(metrics ? { metricsUrl: metrics.url } : {}), ...(temporalMetricsUrl ? { temporalMetricsUrl } : {}) });
        await Promise.race([untilSignal(), running]);
        await workers.shutdown();
        await running;
      } finally {
        await metrics?.close();
      }
    });

  program
    .command('ingest')
    .description('Run the ingest pipeline: MQTT → validate → archive → match → route (needs TEMPORAL_ADDRESS and MQTT_URL)')
    .action(async () => {
      const config = loadConfig();
      const address = requireAddress(config.TEMPORAL_ADDRESS);
      const mqttUrl = requireMqtt(config.MQTT_URL);
      const metrics = await startMetricsEndpoint(config, 'ingest', logger);
      try {
        const client = await connectClient(address, config.TEMPORAL_NAMESPACE);
        const ingest = await startIngestRole(config, mqttUrl, client, logger, undefined, metrics?.registry);
        announceReady({ role: 'ingest', ...(metrics ? { metricsUrl: metrics.url } : {}) });
        await untilSignal();
        await ingest.stop();
        await client.connection.close();
      } finally {
        await metrics?.close();
      }
    });

  program
    .command('codec')
    .description('Serve the codec endpoint that renders msgpack payloads as JSON in the Temporal UI (VIGIL_CODEC_PORT, VIGIL_CODEC_TOKEN)')
    .option('--ui-origin <url>', 'the one origin (scheme://host[:port]) allowed to call it from a browser (default: TEMPORAL_UI_URL, else http://localhost:8080)')
    .option('--host <host>', 'interface to listen on (default: VIGIL_CODEC_HOST, 127.0.0.1)')
    .action(async (opts: { uiOrigin?: string; host?: string }) => {
      const config = loadConfig();
      const codec = await startCodecServer({
        port: config.VIGIL_CODEC_PORT,
        host: opts.host ?? config.VIGIL_CODEC_HOST,
        // TEMPORAL_UI_URL may carry a path (alert links); CORS compares origins only.
        allowedOrigin: opts.uiOrigin ?? (config.TEMPORAL_UI_URL ? new URL(config.TEMPORAL_UI_URL).origin : 'http://localhost:8080'),
        ...(config.VIGIL_CODEC_TOKEN ? { token: config.VIGIL_CODEC_TOKEN } : {}),
        logger,
      });
      out(`codec endpoint: ${codec.url}`);
      await untilSignal();
      await codec.close();
    });

  program
    .command('replay <scenario>')
    .description('Publish a scenario file (rules/scenarios/*.ndjson) as a collector would (needs MQTT_URL)')
    .option('--tenant <tenant>', 'tenant to publish as (default: first of VIGIL_TENANTS)')
    .option('--speed <factor>', 'replay speed-up', '1')
    .action(async (scenario: string, opts: { tenant?: string; speed: string }) => {
      const config = loadConfig();
      const client = await connectPublisherNow(requireMqtt(config.MQTT_URL), { username: config.MQTT_USERNAME, password: config.MQTT_PASSWORD }, logger);
      try {
        const { events } = await replayScenario({
          client,
          tenant: opts.tenant ?? config.VIGIL_TENANTS[0]!,
          file: scenario,
          speed: Number(opts.speed),
          runId: Date.now().toString(36),
          logger,
        });
        out(`published ${events} events`);
      } finally {
        await client.endAsync();
      }
    });
}
