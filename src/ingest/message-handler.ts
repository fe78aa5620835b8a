/**
 * What ingest does with one MQTT message: check the topic, decode, validate, match rules and build
 * detections (synchronous, per event), then hand off: dead letters, archive write, routing to
 * correlators. Every event ends in exactly one of the archive or a dead letter (modulo redelivery).
 *
 * **Invariant**: the promise returned for a message resolves once it is handed off or dead-lettered,
 * and rejects only while ingest is stopping (the message then stays unacknowledged and is
 * redelivered). So no message can hold the in-order acknowledgements of the messages after it:
 * - bad input (topic, msgpack, schema, a foreign tenant claim) and an event a rule throws on are dead-lettered at once, with
 *   their reason (retrying cannot change the outcome);
 * - outages (Temporal unreachable, archive disk failing) are retried for as long as they last, with
 *   back-off and without acknowledging: back-pressure, never dead letters;
 * - Temporal refusing the detections themselves is retried up to `maxAttempts` times, then
 *   dead-lettered (VGL_DLQ_ROUTE);
 * - a message whose handling was started `maxAttempts` times without finishing (it crashed ingest)
 *   is dead-lettered unread on its next redelivery (VGL_DLQ_ATTEMPTS; see AttemptLedger);
 * - anything else that throws dead-letters the whole message (VGL_DLQ_INTERNAL).
 */
import { createHash } from 'node:crypto';
import type { IPublishPacket } from 'mqtt';
import type { Logger } from 'pino';
import type { ErrorCode } from '../error-codes';
import type { Detection, RuleRef } from '../model/detection';
import { EventBatchSchema, RawEventSchema, type RawEvent } from '../model/event';
import type { SourceKind } from '../model/source';
import { parseEventsTopic } from '../mqtt/topics';
import { decodeBatch } from '../mqtt/wire-codec';
import type { AttemptLedger } from './attempt-ledger';
import type { DeadLetter, DeadLetterPublisher } from './dead-letter';
import type { DetectionBuilder } from './detection-builder';
import type { EntityRouter } from './entity-router';
import type { IsolationGate } from './isolation-gate';
import { retryOutage } from './outage-retry';
import type { RawArchive } from './raw-archive';
import type { IngestMetrics, StageTimes } from '../metrics/ingest-metrics';
import { isTemporalOutage } from './temporal-outage';
import { foreignTenantClaim } from './tenant-claim';

/** What ingest needs of a rule set; the Sigma RuleSet satisfies it. Read through a getter so hot reloads apply to the next message. */
export interface DetectionRules {
  readonly version: string;
  match(event: unknown, source: SourceKind): RuleRef[];
}

export interface MessageHandlerDeps {
  tenants: readonly string[];
  rules: () => DetectionRules;
  builder: () => DetectionBuilder;
  router: EntityRouter;
  archive: RawArchive;
  deadLetters: DeadLetterPublisher;
  ledger: AttemptLedger;
  gate: IsolationGate;
  maxAttempts: number;
  logger: Logger;
  stopping: () => boolean;
  /** Per-tenant counts, batch sizes and stage latencies for Prometheus; absent = not measured. */
  metrics?: IngestMetrics;
}

/** Counters a caller can compare: every event published ends up in `events` or `deadLetteredEvents`. */
export interface HandlerCounters {
  /** MQTT messages received, redeliveries included. */
  messages: number;
  /** Valid events archived. */
  events: number;
  /** Detections built and handed to the router. */
  detections: number;
  /** Events inside dead letters: single bad events, plus the events of whole-message letters whose batch could be read. */
  deadLetteredEvents: number;
}

/** A message-level dead letter, before its shared fields are filled in. */
type Rejection = Pick<DeadLetter, 'code' | 'reason' | 'field'> & { events?: number };

interface Message {
  topic: string;
  payload: Buffer;
  receivedAt: number;
  /** Same for every delivery of this message in this process (topic, packet id, size). */
  key: string;
  /** sha256 of topic and payload; hashed only when needed (a redelivery, a dead letter). */
  fingerprint(): string;
}

type LetterFields = Omit<DeadLetter, 'topic' | 'fingerprint' | 'receivedAt'>;

type Prepared =
  | { tenant?: string; rejection: Rejection }
  | { tenant: string; source: SourceKind; collector: string; sentAt?: number; good: RawEvent[]; detections: Detection[]; bad: LetterFields[] };

class RouteRefused extends Error {}

export function createMessageHandler(deps: MessageHandlerDeps): { handle: (packet: IPublishPacket) => Promise<void>; counters: HandlerCounters } {
  const counters: HandlerCounters = { messages: 0, events: 0, detections: 0, deadLetteredEvents: 0 };
  const { logger, metrics } = deps;

  const letter = (m: Message, fields: LetterFields): DeadLetter => ({
    ...fields,
    topic: m.topic,
    fingerprint: m.fingerprint(),
    receivedAt: m.receivedAt,
  });

  const rejectWhole = async (m: Message, tenant: string | undefined, r: Rejection): Promise<void> => {
    counters.deadLetteredEvents += r.events ?? 0;
    metrics?.deadLettered(tenant, r.code, r.events ?? 0);
    const { events: _events, ...fields } = r;
    await deps.deadLetters.publish(tenant, letter(m, { ...fields, payloadBase64: m.payload.toString('base64') }));
  };

  /** Topic → decode → validate (tenant claim included) → match: synchronous, and every failure is about this message. */
  const prepare = (m: Message): Prepared => {
    const topic = parseEventsTopic(m.topic, deps.tenants);
    if (!topic.ok) return { tenant: topic.tenant, rejection: { code: 'VGL_DLQ_TOPIC', reason: topic.reason } };
    let decoded: unknown;
    try {
      decoded = decodeBatch(m.payload);
    } catch (err) {
      return { tenant: topic.tenant, rejection: { code: 'VGL_DLQ_DECODE', reason: `not msgpack: ${(err as Error).message}` } };
    }
    const batch = EventBatchSchema.safeParse(decoded);
    if (!batch.success) {
      const issue = batch.error.issues[0]!;
      const events = (decoded as { events?: unknown } | null)?.events;
      return {
        tenant: topic.tenant,
        rejection: { code: 'VGL_DLQ_SCHEMA', reason: `batch: ${issue.message}`, field: issue.path.join('.'), events: Array.isArray(events) ? events.length : 0 },
      };
    }
    const foreign = foreignTenantClaim(batch.data, m.topic, topic.tenant);
    if (foreign) return { tenant: topic.tenant, rejection: { ...foreign, events: batch.data.events.length } };
    const rules = deps.rules();
    const builder = deps.builder();
    const good: RawEvent[] = [];
    const detections: Detection[] = [];
    const bad: LetterFields[] = [];
    batch.data.events.forEach((raw, index) => {
      const parsed = RawEventSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        bad.push({ code: 'VGL_DLQ_SCHEMA', reason: issue.message, field: issue.path.join('.'), index, event: raw });
        return;
      }
      try {
        const matched = rules.match(parsed.data.data, topic.source);
        if (matched.length > 0) detections.push(builder.build(topic.tenant, topic.source, parsed.data, matched, rules.version));
        good.push(parsed.data);
      } catch (err) {
        bad.push({ code: 'VGL_DLQ_MATCH', reason: `matching rules or building the detection failed on this event: ${(err as Error).message}`, index, event: raw });
      }
    });
    return { tenant: topic.tenant, source: topic.source, collector: batch.data.collector, sentAt: batch.data.sentAt, good, detections, bad };
  };

  const handOff = async (m: Message): Promise<void> => {
    const prepared = prepare(m);
    if ('rejection' in prepared) return rejectWhole(m, prepared.tenant, prepared.rejection);
    const { tenant, source, collector, good, detections, bad } = prepared;
    const times: StageTimes = { sentAt: prepared.sentAt, receivedAt: m.receivedAt };
    metrics?.received(tenant, good.length + bad.length, times);
    counters.deadLetteredEvents += bad.length;
    for (const b of bad) metrics?.deadLettered(tenant, b.code, 1);
    await Promise.all(bad.map((b) => deps.deadLetters.publish(tenant, letter(m, b))));
    await retryOutage(() => deps.archive.append(tenant, source, collector, good, m.receivedAt), logger, 'archive write', { stopping: deps.stopping });
    counters.events += good.length;
    metrics?.archived(tenant, good.length, detections.length);
    if (detections.length === 0) return;
    counters.detections += detections.length;
    try {
      await retryOutage(() => deps.router.route(tenant, detections, times), logger, 'routing to Temporal', {
        stopping: deps.stopping,
        isOutage: isTemporalOutage,
        maxFailures: deps.maxAttempts,
      });
    } catch (err) {
      if (deps.stopping()) throw err;
      const cause = (err as Error).cause; // the client's ServiceError wraps the server's answer
      throw new RouteRefused(`${(err as Error).message}${cause instanceof Error ? `: ${cause.message}` : ''}`);
    }
  };

  const handle = async (packet: IPublishPacket): Promise<void> => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    let fingerprint: string | undefined;
    const m: Message = {
      topic: packet.topic,
      payload,
      receivedAt: Date.now(),
      key: `${packet.topic}\0${packet.messageId ?? ''}\0${payload.length}`,
      fingerprint: () => (fingerprint ??= createHash('sha256').update(packet.topic).update('\0').update(payload).digest('hex').slice(0, 32)),
    };
    counters.messages += 1;
    const tenant = (): string | undefined => parseEventsTopic(m.topic, deps.tenants).tenant;
    try {
      const start = await deps.ledger.begin(m, packet.dup === true);
      if (start.attempt > deps.maxAttempts) {
        await rejectWhole(m, tenant(), {
          code: 'VGL_DLQ_ATTEMPTS',
          reason: `ingest started handling this message ${start.attempt - 1} times without finishing (it stopped or crashed each time); limit VIGIL_INGEST_MAX_ATTEMPTS=${deps.maxAttempts}`,
        });
        return;
      }
      if (start.suspect) logger.warn({ fingerprint: m.fingerprint(), topic: m.topic, attempt: start.attempt }, 'redelivered message was in progress when ingest stopped; handling it alone');
      await deps.gate.run(start.suspect, () => handOff(m));
    } catch (err) {
      if (deps.stopping()) throw err;
      const code: ErrorCode = err instanceof RouteRefused ? 'VGL_DLQ_ROUTE' : 'VGL_DLQ_INTERNAL';
      const reason = err instanceof RouteRefused ? `Temporal refused the detections ${deps.maxAttempts} times: ${err.message}` : `ingest failed on this message: ${(err as Error).message}`;
      logger.error({ code, fingerprint: m.fingerprint(), topic: m.topic, err: (err as Error).message }, 'message failed; dead-lettering it');
      await rejectWhole(m, tenant(), { code, reason });
    } finally {
      await deps.ledger.end(m.key);
    }
  };

  return { handle, counters };
}
