/**
 * `vigil scenario run`: replays scenario files through the whole pipeline (MQTT → ingest → Temporal) and reads back
 * what they produced once the pipeline is quiet (quiescence.ts). Without TEMPORAL_ADDRESS it runs on a stack of its
 * own, started for the run and stopped after: an in-memory Temporal dev server (headless, free port), the in-process
 * broker on a free port (unless MQTT_URL is set), a worker process and an ingest process (src/app/pipeline.ts), with
 * state in a temporary folder; the ingest's progress is read from its own metrics endpoint. With TEMPORAL_ADDRESS it
 * publishes to the running stack (MQTT_URL, MQTT_USERNAME/MQTT_PASSWORD) and follows its ingest through
 * VIGIL_INGEST_METRICS_URLS. Events are published as the first tenant of VIGIL_TENANTS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { startPipeline } from '../app/pipeline';
import { installTemporalRuntime } from '../temporal/runtime';
import { StopList } from '../app/stop-list';
import { connectPublisherNow } from '../collect/publisher-connection';
import { loadScenario, replayScenario } from '../collect/scenario-replay';
import type { Config } from '../config';
import { VigilError } from '../error-codes';
import { connectClient } from '../temporal/client';
import { startDevServerProcess } from '../temporal/dev-server-process';
import { loadExpectations, type Expectations } from './expectations';
import { scrapedProgress, type IngestProgress } from './ingest-progress';
import { readOutcome, type ScenarioOutcome } from './outcome';
import { waitUntilQuiet } from './quiescence';

export interface ScenarioRunOptions {
  files: string[];
  /** Replay speed-up; event times keep their recorded spacing whatever the speed. */
  speed: number;
  timeoutMs: number;
}

export interface ScenarioFile {
  file: string;
  name: string;
  expectations?: Expectations;
  events: number;
}

export interface ScenarioRunResult extends ScenarioOutcome {
  scenarios: ScenarioFile[];
  /** Where the run happened: the embedded stack or TEMPORAL_ADDRESS. */
  stack: string;
  /** From the broker's acknowledgement of the last event to a quiet pipeline. */
  quietAfterMs: number;
  /** Events ingest dead-lettered during the run (they reached no correlator). */
  deadLetteredEvents: number;
}

interface Stack {
  client: Client;
  mqttUrl: string;
  login: { username?: string; password?: string };
  progress: IngestProgress;
  description: string;
  /** Rejects when a process of the embedded stack ends on its own (VGL_STACK_PROCESS_EXITED). */
  failed?: Promise<never>;
}

/** Reads every scenario and expectations file before anything starts: a typo fails in a second, not after a stack. */
function readScenarios(files: string[]): ScenarioFile[] {
  const names = new Set<string>();
  return files.map((file) => {
    const name = path.basename(file, '.ndjson');
    if (names.has(name)) throw new VigilError('VGL_CONFIG_INVALID', `two scenario files are named ${name}: their event ids would collide`, { file });
    names.add(name);
    const events = loadScenario(file).length;
    const expectations = loadExpectations(file);
    return { file, name, events, ...(expectations ? { expectations } : {}) };
  });
}

async function openStack(config: Config, stops: StopList, logger: Logger): Promise<Stack> {
  if (config.TEMPORAL_ADDRESS) {
    if (!config.MQTT_URL) throw new VigilError('VGL_CONFIG_INVALID', 'MQTT_URL is required with TEMPORAL_ADDRESS (the running stack\'s broker)', { field: 'MQTT_URL' });
    if (!config.VIGIL_INGEST_METRICS_URLS) {
      throw new VigilError('VGL_SCENARIO_INGEST_METRICS', 'set VIGIL_INGEST_METRICS_URLS to the /metrics URL of every ingest of the running stack (each run with VIGIL_METRICS_LISTEN), or unset TEMPORAL_ADDRESS to run on a stack of its own', { field: 'VIGIL_INGEST_METRICS_URLS' });
    }
    const client = await connectClient(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE);
    stops.push(() => client.connection.close());
    return {
      client,
      mqttUrl: config.MQTT_URL,
      login: { username: config.MQTT_USERNAME, password: config.MQTT_PASSWORD },
      progress: scrapedProgress(config.VIGIL_INGEST_METRICS_URLS, config.VIGIL_METRICS_TOKEN),
      description: `the running stack at ${config.TEMPORAL_ADDRESS}`,
    };
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-scenario-'));
  const removeDataDir = (): void => rmSync(dataDir, { recursive: true, force: true });
  // Also when the process ends without stopping the stack (Ctrl-C: see cli/scenario.ts).
  process.once('exit', removeDataDir);
  stops.push(() => {
    process.removeListener('exit', removeDataDir);
    return Promise.resolve(removeDataDir());
  });
  // Before the SDK's runtime is first used (the fallback dev server; the worker is a process of its own): its lines go
  // through our logger.
  installTemporalRuntime(logger);
  // In memory and headless: the stack lives for this run only, so nobody could look at it after.
  const server = await startDevServerProcess({ logger: logger.child({ role: 'temporal' }), namespace: config.TEMPORAL_NAMESPACE });
  stops.push(server.stop);
  const pipeline = await startPipeline({ ...config, VIGIL_DATA_DIR: dataDir, MQTT_PORT: 0 }, server.address, stops, logger);
  return {
    client: pipeline.client,
    mqttUrl: pipeline.mqttUrl,
    login: pipeline.collectorLogin,
    progress: scrapedProgress([pipeline.ingestMetricsUrl], config.VIGIL_METRICS_TOKEN),
    description: 'an embedded stack (stopped after the run)',
    failed: pipeline.failed,
  };
}

export async function runScenarios(config: Config, options: ScenarioRunOptions, logger: Logger): Promise<ScenarioRunResult> {
  const scenarios = readScenarios(options.files);
  const stops = new StopList(logger);
  try {
    const stack = await openStack(config, stops, logger);
    const run = runOn(stack, scenarios, config.VIGIL_TENANTS[0]!, options, stops, logger);
    if (!stack.failed) return await run;
    // A stack process that dies ends the run now, not at --timeout; the run itself stops with the stack.
    run.catch(() => undefined);
    return await Promise.race([run, stack.failed]);
  } finally {
    await stops.stopAll();
  }
}

async function runOn(stack: Stack, scenarios: ScenarioFile[], tenant: string, options: ScenarioRunOptions, stops: StopList, logger: Logger): Promise<ScenarioRunResult> {
  const publisher = await connectPublisherNow(stack.mqttUrl, { clientId: `vigil-scenario-${process.pid}`, ...stack.login }, logger);
  stops.push(() => publisher.endAsync());
  const baseline = await stack.progress();
  // Playbook runs started before this are not the run's; a minute of slack for a server clock behind ours.
  const since = new Date(Date.now() - 60_000);
  const runId = Date.now().toString(36);
  let published = 0;
  for (const scenario of scenarios) {
    const { messages } = await replayScenario({ client: publisher, tenant, file: scenario.file, speed: options.speed, runId, logger });
    published += messages;
  }
  const publishedAt = Date.now();
  const quiet = await waitUntilQuiet({ client: stack.client, tenant, baseline, published, progress: stack.progress, since, timeoutMs: options.timeoutMs, logger });
  const quietAt = Date.now();
  const prefixes = new Map(scenarios.map((s) => [`${s.name}:${runId}:`, s.name]));
  const outcome = await readOutcome(stack.client, tenant, quiet, prefixes);
  return { ...outcome, scenarios, stack: stack.description, quietAfterMs: quietAt - publishedAt, deadLetteredEvents: quiet.deadLetteredEvents };
}
