/**
 * `vigil collect file|k8s-audit|procfs`: the edge collectors. Each publishes one source's events to
 * MQTT_URL (msgpack batches, QoS 1) for a tenant, optionally only those matching `--edge-rules`, and
 * on exit (end of input, or SIGINT/SIGTERM) waits for the broker to acknowledge everything it queued
 * (however long an outage lasts: nothing is given up silently), then prints its counts.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Command } from 'commander';
import { positiveInt } from './cli-options';
import type { Logger } from 'pino';
import { startMetricsEndpoint } from '../app/metrics-endpoint';
import { CollectorOutput } from '../collect/collector-output';
import { EdgeFilter } from '../collect/edge-filter';
import { FileCollector } from '../collect/file-collector';
import { checkWebhookAuth, startK8sAuditWebhook } from '../collect/k8s-audit-webhook';
import { ProcfsPoller } from '../collect/procfs-poller';
import { connectPublisher } from '../collect/publisher-connection';
import { SpillQueue } from '../collect/spill-queue';
import { secretProblem } from '../auth/secret-setting';
import { loadConfig } from '../config';
import { VigilError } from '../error-codes';
import { registerCollectorMetrics } from '../metrics';
import { SourceKindSchema, type SourceKind } from '../model/source';
import { parseListen } from '../auth/listen-address';

interface CommonOptions {
  tenant?: string;
  edgeRules?: string;
  collector?: string;
  spillDir?: string;
  spillMaxMb: string;
}

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function readFlagFile(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new VigilError('VGL_CONFIG_INVALID', `cannot read ${flag}: ${(e as Error).message}`, { file, field: flag });
  }
}

function tlsFiles(certFile: string | undefined, keyFile: string | undefined): { cert: Buffer; key: Buffer } | undefined {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new VigilError('VGL_CONFIG_INVALID', '--tls-cert and --tls-key go together', { field: certFile ? '--tls-key' : '--tls-cert' });
  return { cert: readFlagFile(certFile, '--tls-cert'), key: readFlagFile(keyFile, '--tls-key') };
}

/** The webhook's credentials: --token-file (overriding VIGIL_K8S_AUDIT_TOKEN) and --client-ca. */
function webhookAuth(tokenFile: string | undefined, clientCaFile: string | undefined): { token?: string; clientCa?: Buffer } {
  let token = loadConfig().VIGIL_K8S_AUDIT_TOKEN;
  if (tokenFile) {
    token = readFlagFile(tokenFile, '--token-file').toString('utf8').trim();
    const problem = secretProblem(token);
    if (problem) throw new VigilError('VGL_CONFIG_INVALID', problem, { file: tokenFile, field: '--token-file' });
  }
  return { ...(token ? { token } : {}), ...(clientCaFile ? { clientCa: readFlagFile(clientCaFile, '--client-ca') } : {}) };
}

/** An AbortController aborted by the first SIGINT/SIGTERM (and by whoever else holds it). */
function stopController(): AbortController {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller;
}

function withCommonOptions(command: Command): Command {
  return command
    .option('--tenant <tenant>', 'tenant to publish as (default: first of VIGIL_TENANTS)')
    .option('--edge-rules <dir>', 'publish only events matching a Sigma rule under this directory (decentralised detection)')
    .option('--collector <id>', 'collector id stamped on every batch (default: host name)')
    .option('--spill-dir <dir>', 'during broker outages, overflow the in-memory buffer to files here instead of dropping (one dir per collector)')
    .option('--spill-max-mb <n>', 'size bound of the spill directory; beyond it the oldest batches are dropped and counted', '1024');
}

/**
 * Connects to the broker and builds the source's output; `run` gets it and a stop signal (SIGINT/SIGTERM, or the
 * broker refusing this collector's publishes for good, which then fails the command), and the connection is closed after.
 */
async function withOutput(source: SourceKind, opts: CommonOptions, logger: Logger, run: (output: CollectorOutput, stop: AbortSignal) => Promise<void>): Promise<void> {
  // --tenant goes through the VIGIL_TENANTS schema, so a tenant id that would make a bad topic is refused.
  const config = loadConfig(process.env, opts.tenant ? { VIGIL_TENANTS: opts.tenant } : {});
  if (!config.MQTT_URL) throw new VigilError('VGL_CONFIG_INVALID', 'MQTT_URL is required for collectors (e.g. mqtt://127.0.0.1:1883)', { field: 'MQTT_URL' });
  const edge = opts.edgeRules ? await EdgeFilter.load(opts.edgeRules, source, logger) : undefined;
  const tenant = config.VIGIL_TENANTS[0]!;
  // Keyed by tenant and source: spilled batches are published on the topic they were collected for.
  const spill = opts.spillDir ? new SpillQueue(path.join(opts.spillDir, tenant, source), positiveInt('--spill-max-mb', opts.spillMaxMb) * 1024 * 1024, logger) : undefined;
  const metrics = await startMetricsEndpoint(config, 'collector', logger);
  // Not awaited: a collector starts (and buffers) while the broker is unreachable.
  const client: MqttClient = connectPublisher(config.MQTT_URL, { username: config.MQTT_USERNAME, password: config.MQTT_PASSWORD }, logger);
  client.on('error', (err) => logger.warn({ err: err.message }, 'mqtt error'));
  client.on('offline', () => logger.warn({ url: config.MQTT_URL }, 'broker unreachable: buffering events until it is back'));
  const stop = stopController();
  let refusal: VigilError | undefined;
  const onRefused = (error: VigilError): void => {
    refusal = error;
    stop.abort();
  };
  const output = new CollectorOutput(client, { tenant, source, collector: opts.collector ?? hostname(), onRefused, ...(edge ? { edge } : {}), ...(spill ? { spill } : {}) }, logger);
  if (metrics) registerCollectorMetrics(metrics.registry, { tenant, source }, () => output.counts());
  let failed = true;
  try {
    await run(output, stop.signal);
    if (refusal) throw refusal;
    await output.flush();
    failed = false;
  } finally {
    output.close();
    // After a failure, end at once: a graceful end() issued while mqtt.js is still connecting leaves the
    // socket open (observed: the process lingered ~100 s after a start-up error).
    await client.endAsync(failed);
    await metrics?.close();
  }
  const c = output.counts();
  out(`${source}: published ${c.published} events to tenant ${tenant} (filtered by edge rules ${c.filtered}, malformed ${c.malformed}, spilled ${c.spilled}, dropped ${c.dropped})`);
  for (const issue of output.issues) process.stderr.write(`${issue.message}\n`);
  if (c.malformed > output.issues.length) process.stderr.write(`... and ${c.malformed - output.issues.length} more malformed records\n`);
}

export function registerCollectCommands(program: Command, logger: Logger): void {
  const collect = program.command('collect').description('Edge collectors: publish a source\'s events to MQTT (needs MQTT_URL)');

  withCommonOptions(
    collect
      .command('file <paths...>')
      .description('Publish events from files or directories: CloudTrail Records, k8s EventList/audit logs, NDJSON, JSON arrays, audit.log (gzip or not)')
      .requiredOption('--source <kind>', `source of the events: ${SourceKindSchema.options.join('|')}`)
      .option('--follow', 'keep tailing the files (and re-listing directories) for appended lines until SIGINT/SIGTERM')
      .option('--from-end', 'with --follow: skip what the files already hold')
      .option('--poll-ms <ms>', 'with --follow: how often files are checked', '500'),
  ).action(async (paths: string[], opts: CommonOptions & { source: string; follow?: boolean; fromEnd?: boolean; pollMs: string }) => {
    const source = SourceKindSchema.safeParse(opts.source);
    if (!source.success) throw new VigilError('VGL_CONFIG_INVALID', `--source must be one of ${SourceKindSchema.options.join(', ')}, got '${opts.source}'`, { field: '--source' });
    const pollMs = positiveInt('--poll-ms', opts.pollMs);
    await withOutput(source.data, opts, logger, async (output, signal) => {
      const files = await new FileCollector(
        { paths, source: source.data, follow: opts.follow === true, fromEnd: opts.fromEnd === true, pollMs, hostname: hostname(), signal, logger },
        output,
      ).run();
      out(`read ${files} files`);
    });
  });

  withCommonOptions(
    collect
      .command('k8s-audit')
      .description('Serve the Kubernetes API server audit webhook backend (POST audit.k8s.io/v1 EventList)')
      .requiredOption('--listen <host:port>', 'address to listen on, e.g. 0.0.0.0:8443')
      .option('--max-body-bytes <n>', 'largest request body accepted', String(32 * 1024 * 1024))
      .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (with --tls-key)')
      .option('--tls-key <file>', 'PEM private key of --tls-cert')
      .option('--token-file <file>', 'file holding the bearer token the API server sends (overrides VIGIL_K8S_AUDIT_TOKEN)')
      .option('--client-ca <file>', 'PEM CA whose client certificates are accepted (mTLS; needs --tls-cert/--tls-key)'),
  ).action(async (opts: CommonOptions & { listen: string; maxBodyBytes: string; tlsCert?: string; tlsKey?: string; tokenFile?: string; clientCa?: string }) => {
    const { host, port } = parseListen(opts.listen);
    const maxBodyBytes = positiveInt('--max-body-bytes', opts.maxBodyBytes);
    const tls = tlsFiles(opts.tlsCert, opts.tlsKey);
    const auth = webhookAuth(opts.tokenFile, opts.clientCa);
    checkWebhookAuth({ auth, host, logger, ...(tls ? { tls } : {}) });
    await withOutput('k8s_audit', opts, logger, async (output, signal) => {
      const webhook = await startK8sAuditWebhook({ host, port, maxBodyBytes, output, logger, auth, ...(tls ? { tls } : {}) });
      out(`k8s audit webhook listening on ${webhook.url}`);
      if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      await webhook.close();
    });
  });

  withCommonOptions(
    collect
      .command('procfs')
      .description('Poll /proc for new processes and publish linux process_creation events (no privileges needed)')
      .option('--interval <ms>', 'time between scans of /proc', '1000'),
  ).action(async (opts: CommonOptions & { interval: string }) => {
    const intervalMs = positiveInt('--interval', opts.interval);
    await withOutput('process', opts, logger, async (output, signal) => {
      const poller = new ProcfsPoller({ hostname: hostname(), emit: (event) => output.emit(event), logger });
      await poller.baseline();
      out(`polling /proc every ${intervalMs} ms`);
      await poller.run(intervalMs, signal);
      out(`procfs: ${poller.counts.emitted} new processes, ${poller.counts.vanished} vanished before they could be read`);
    });
  });
}
