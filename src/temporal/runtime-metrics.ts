/**
 * The Temporal SDK's own metrics (workflow-task schedule-to-start and execution latency, slots, pollers, sticky
 * cache, request latency...), exported by the SDK's Rust core on its own Prometheus endpoint. It must be set up
 * before the process opens any NativeConnection or Worker: the core runtime is a process singleton built on first
 * use. Durations are in seconds (`useSecondsForDurations`), like Vigil's own metrics; names keep the `temporal_`
 * prefix. The exporter has no authentication, so config.ts accepts only loopback addresses for it.
 */
import { Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import { formatListen } from '../auth/listen-address';

/** Returns the exporter's URL. */
export function installTemporalMetrics(listen: { host: string; port: number }, logger: Logger): string {
  const bindAddress = formatListen(listen);
  Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress, useSecondsForDurations: true } } } });
  const url = `http://${bindAddress}/metrics`;
  logger.info({ url }, 'Temporal SDK metrics endpoint listening');
  return url;
}
