/**
 * The Temporal SDK's process-wide runtime, installed once before the process opens any NativeConnection or Worker
 * (the Rust core runtime is a process singleton built on first use; installing after that throws).
 *
 * Logs: the SDK's own lines (worker state, workflow `log` calls through the sandbox sink, core warnings) go through
 * Vigil's pino logger with `role: temporal-sdk`, so they follow `--log-format` like every other line instead of
 * appearing as a second, differently formatted stream on stderr.
 *
 * Metrics (optional): the SDK's own metrics (workflow-task schedule-to-start and execution latency, slots, pollers,
 * sticky cache, request latency...), exported by the core on its own Prometheus endpoint. Durations are in seconds
 * (`useSecondsForDurations`), like Vigil's own metrics; names keep the `temporal_` prefix. The exporter has no
 * authentication, so config.ts accepts only loopback addresses for it.
 */
import { Runtime, type LogLevel, type LogMetadata, type Logger as SdkLogger } from '@temporalio/worker';
import type { Logger } from 'pino';
import { formatListen } from '../auth/listen-address';

/** The SDK's logger interface over pino: levels map one to one (TRACE → trace ... ERROR → error). */
function sdkLoggerOver(logger: Logger): SdkLogger {
  const target = logger.child({ role: 'temporal-sdk' });
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    // String keys only: the SDK adds a symbol-keyed timestamp that pino has no use for (it stamps its own).
    const fields = meta ? Object.fromEntries(Object.entries(meta)) : {};
    target[level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error'](fields, message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/** Installs the runtime; returns the SDK metrics exporter's URL when `metricsListen` is given. */
export function installTemporalRuntime(logger: Logger, metricsListen?: { host: string; port: number }): string | undefined {
  const bindAddress = metricsListen ? formatListen(metricsListen) : undefined;
  Runtime.install({
    logger: sdkLoggerOver(logger),
    ...(bindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress, useSecondsForDurations: true } } } } : {}),
  });
  if (!bindAddress) return undefined;
  const url = `http://${bindAddress}/metrics`;
  logger.info({ url }, 'Temporal SDK metrics endpoint listening');
  return url;
}
