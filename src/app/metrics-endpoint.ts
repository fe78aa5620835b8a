/**
 * A process' metrics as configured: with VIGIL_METRICS_LISTEN set, a registry (Node's own metrics included) and
 * its `/metrics` endpoint; unset, nothing (no registry either, so the instrumented code paths do no work).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config';
import { createProcessRegistry, startMetricsServer } from '../metrics';

export interface MetricsEndpoint {
  registry: Registry;
  url: string;
  close(): Promise<void>;
}

export async function startMetricsEndpoint(config: Pick<Config, 'VIGIL_METRICS_LISTEN' | 'VIGIL_METRICS_TOKEN'>, role: string, logger: Logger): Promise<MetricsEndpoint | undefined> {
  const listen = config.VIGIL_METRICS_LISTEN;
  if (!listen) return undefined;
  const registry = createProcessRegistry(role);
  const server = await startMetricsServer({ ...listen, registry, logger: logger.child({ role: 'metrics' }), ...(config.VIGIL_METRICS_TOKEN ? { token: config.VIGIL_METRICS_TOKEN } : {}) });
  return { registry, url: server.url, close: server.close };
}
