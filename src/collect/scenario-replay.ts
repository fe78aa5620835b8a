/**
 * Replays an attack scenario (rules/scenarios/*.ndjson) through a collector's publisher, as the demo
 * and the scenario tests do. Each line is `{"source", "offsetMs", "data"}`; times are rebased to
 * `startAt + offsetMs / speed`, written back into the record's own time field, so detections and
 * timelines read as if the attack is happening now.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { z } from 'zod';
import { VigilError } from '../error-codes';
import { SourceKindSchema, type SourceKind } from '../model/source';
import { BatchPublisher } from './batch-publisher';
import { timeFields } from './event-time';

const ScenarioLineSchema = z.object({
  source: SourceKindSchema,
  offsetMs: z.number().int().nonnegative(),
  data: z.record(z.string(), z.unknown()),
});
export type ScenarioLine = z.infer<typeof ScenarioLineSchema>;

export function loadScenario(file: string): ScenarioLine[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: ScenarioLine[] = [];
  lines.forEach((text, i) => {
    if (!text.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new VigilError('VGL_SCENARIO_INVALID', `not JSON: ${(err as Error).message}`, { file, line: i + 1 });
    }
    const parsed = ScenarioLineSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new VigilError('VGL_SCENARIO_INVALID', issue.message, { file, line: i + 1, field: issue.path.join('.') });
    }
    out.push(parsed.data);
  });
  return out.sort((a, b) => a.offsetMs - b.offsetMs);
}

export interface ReplayOptions {
  client: MqttClient;
  tenant: string;
  file: string;
  /** Replay speed-up: 10 = ten times faster than recorded. */
  speed?: number;
  /** Distinguishes runs: event ids are `<scenario>:<runId>:<line>`. */
  runId: string;
  startAt?: number;
  logger: Logger;
}

/**
 * Publishes the scenario in time order and resolves once the broker acknowledged every event; `messages` is how many
 * MQTT messages (batches) carried them.
 */
export async function replayScenario(options: ReplayOptions): Promise<{ events: number; messages: number }> {
  const lines = loadScenario(options.file);
  const speed = options.speed ?? 1;
  const startAt = options.startAt ?? Date.now();
  const name = path.basename(options.file, '.ndjson');
  const publishers = new Map<SourceKind, BatchPublisher>();
  const publisherFor = (source: SourceKind): BatchPublisher => {
    let p = publishers.get(source);
    if (!p) {
      p = new BatchPublisher(options.client, { tenant: options.tenant, source, collector: `scenario:${name}`, maxBatchDelayMs: 50 }, options.logger);
      publishers.set(source, p);
    }
    return p;
  };
  const wallStart = Date.now();
  for (const [i, line] of lines.entries()) {
    const due = wallStart + line.offsetMs / speed;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const time = startAt + line.offsetMs;
    const data: Record<string, unknown> = { ...line.data };
    // Rebase the record's own time fields (and set the primary one when the record has none).
    const fields = timeFields[line.source];
    for (const field of fields) if (field in data || field === fields[0]) data[field] = new Date(time).toISOString();
    publisherFor(line.source).add({ id: `${name}:${options.runId}:${i + 1}`, time, data });
  }
  await Promise.all([...publishers.values()].map((p) => p.flush()));
  let messages = 0;
  for (const p of publishers.values()) {
    messages += p.stats.publishedBatches;
    p.close();
  }
  options.logger.info({ scenario: name, events: lines.length, messages }, 'scenario replayed');
  return { events: lines.length, messages };
}
