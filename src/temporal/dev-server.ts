/**
 * The embedded Temporal dev server (`temporal server start-dev`): SQLite file under the data folder so
 * state survives restarts, the Web UI, and Vigil's search attributes. Started through
 * @temporalio/testing so the same code serves `vigil dev` and the tests, with the binary from the
 * CLI resolver (or the SDK's download as the last resort).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Logger } from 'pino';
import { resolveTemporalCli } from './cli-resolver';
import { registerSearchAttributes } from './register-search-attributes';
import { vigilSearchAttributes } from './search-attributes';

export interface DevServerOptions {
  logger: Logger;
  namespace: string;
  /** SQLite file; omit for an in-memory server (tests). */
  dbFile?: string;
  port?: number;
  /** Serve the Web UI on this port; omit for headless. */
  uiPort?: number;
  /** Codec endpoint the UI calls to render msgpack payloads as JSON. */
  codecEndpoint?: string;
  /** Extra `--dynamic-config-value KEY=VALUE` settings (tests lower continue-as-new thresholds with these). */
  dynamicConfig?: Record<string, string | number | boolean>;
}

export interface DevServer {
  env: TestWorkflowEnvironment;
  address: string;
  namespace: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const { logger } = options;
  const executable = await resolveTemporalCli({ logger });
  logger.info({ executable }, 'starting Temporal dev server');
  if (options.dbFile) mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const extraArgs = [
    // WAL keeps SQLite writes from serialising readers; NORMAL sync survives process crashes (not power loss).
    '--sqlite-pragma', 'journal_mode=WAL',
    '--sqlite-pragma', 'synchronous=NORMAL',
    ...Object.entries(options.dynamicConfig ?? {}).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${JSON.stringify(v)}`]),
    ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
  ];
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: executable.type === 'existing-path' ? { type: 'existing-path', path: executable.path } : { type: 'cached-download' },
      namespace: options.namespace,
      dbFilename: options.dbFile,
      port: options.port,
      ...(options.uiPort !== undefined ? { ui: true, uiPort: options.uiPort } : {}),
      searchAttributes: [...vigilSearchAttributes],
      extraArgs,
      log: { format: 'json', level: 'warn' },
    },
  });
  await registerSearchAttributes(env.connection, options.namespace, logger);
  const address = env.address;
  const uiUrl = options.uiPort !== undefined ? `http://localhost:${options.uiPort}` : undefined;
  logger.info({ address, uiUrl }, 'Temporal dev server ready');
  return { env, address, namespace: options.namespace, uiUrl, stop: () => env.teardown() };
}
