/**
 * `vigil loadgen`'s engine: publishes events at a steady rate, round-robin over `entities` hosts spread over the
 * tenants (host m belongs to tenant m mod T), each tenant through its own collector's BatchPublisher, and reports the
 * rate achieved and the PUBACK latency of the batches. Events are copies of `templates` (process records) with the
 * host's name in `Hostname`; ids are `loadgen:<runId>:<n>`, so a run's events are countable at ingest.
 */
import type { Logger } from 'pino';
import type { RawEvent } from '../model/event';
import type { MqttClient } from 'mqtt';
import { BatchPublisher } from './batch-publisher';

/** The pacing tick: events due by now are added every TICK_MS (a timer per event cannot keep up at high rates). */
const TICK_MS = 5;

export interface LoadPlan {
  /** Events per second, all tenants together. */
  rate: number;
  entities: number;
  durationS: number;
  runId: string;
  /** Process records the events copy in turn (at least one). */
  templates: readonly Record<string, unknown>[];
}

export interface LoadReport {
  events: number;
  entities: number;
  tenants: number;
  /** Events per tenant, in the order of the publishers given. */
  perTenant: Record<string, number>;
  /** Seconds spent adding events, and events per second over them (the offered rate). */
  publishSeconds: number;
  offeredRate: number;
  /** Seconds until the broker acknowledged the last event, and events per second over them (the achieved rate). */
  ackSeconds: number;
  achievedRate: number;
  /** Per batch: time from its send to its PUBACK. */
  pubackMs: { batches: number; p50: number; p99: number; max: number };
}

export function loadgenHostname(entity: number): string {
  return `loadgen-host-${entity}`;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Runs the plan through one collector publisher per tenant (`clients`: tenant → its logged-in connection) and
 * resolves once every event is acknowledged. **Invariant**: event n goes to host n mod entities, of tenant
 * (n mod entities) mod T, so every host gets ⌊N/M⌋ or ⌈N/M⌉ events.
 */
export async function generateLoad(plan: LoadPlan, clients: ReadonlyMap<string, MqttClient>, logger: Logger): Promise<LoadReport> {
  const tenants = [...clients.keys()];
  const pubacks: number[] = [];
  const publishers = new Map(tenants.map((tenant) => [tenant, new BatchPublisher(clients.get(tenant)!, { tenant, source: 'process', collector: 'loadgen', maxBatchDelayMs: 20, onAcknowledged: (_events, ms) => pubacks.push(ms) }, logger)]));
  try {
    return await paced(plan, publishers, pubacks, logger);
  } finally {
    for (const p of publishers.values()) p.close();
  }
}

async function paced(plan: LoadPlan, publishers: ReadonlyMap<string, BatchPublisher>, pubacks: readonly number[], logger: Logger): Promise<LoadReport> {
  const tenants = [...publishers.keys()];
  const total = Math.round(plan.rate * plan.durationS);
  const perTenant = Object.fromEntries(tenants.map((t) => [t, 0]));
  const start = Date.now();
  let n = 0;
  while (n < total) {
    const due = Math.min(total, Math.floor(((Date.now() - start) * plan.rate) / 1000) + 1);
    for (; n < due; n++) {
      const entity = n % plan.entities;
      const tenant = tenants[entity % tenants.length]!;
      const template = plan.templates[n % plan.templates.length]!;
      const event: RawEvent = { id: `loadgen:${plan.runId}:${n}`, time: Date.now(), data: { ...template, Hostname: loadgenHostname(entity) } };
      publishers.get(tenant)!.add(event);
      perTenant[tenant]! += 1;
    }
    if (n < total) await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const publishSeconds = (Date.now() - start) / 1000;
  logger.debug({ events: total, publishSeconds }, 'loadgen: every event added; waiting for PUBACKs');
  await Promise.all([...publishers.values()].map((p) => p.flush()));
  const ackSeconds = (Date.now() - start) / 1000;
  const sorted = [...pubacks].sort((a, b) => a - b);
  return {
    events: total,
    entities: plan.entities,
    tenants: tenants.length,
    perTenant,
    publishSeconds,
    offeredRate: Math.round(total / publishSeconds),
    ackSeconds,
    achievedRate: Math.round(total / ackSeconds),
    pubackMs: { batches: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN },
  };
}
