/**
 * Dead letters: input ingest cannot use is published, with its reason and location, to
 * `vigil/v1/{tenant}/deadletter` (JSON, QoS 1) and counted by code. Nothing bad is dropped silently
 * and one bad event never takes its batch-mates with it.
 */
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { ErrorCode } from '../error-codes';
import { deadLetterTopic, UNATTRIBUTED_TENANT } from '../mqtt/topics';

export interface DeadLetter {
  code: ErrorCode;
  reason: string;
  /** The topic the input arrived on. */
  topic: string;
  /** For a single bad event: its index in the batch and the offending field path. */
  index?: number;
  field?: string;
  receivedAt: number;
  /** The original bytes (whole message) as base64, or the offending event itself. */
  payloadBase64?: string;
  event?: unknown;
}

export class DeadLetterPublisher {
  readonly counts: Partial<Record<ErrorCode, number>> = {};

  constructor(
    private readonly client: MqttClient,
    private readonly logger: Logger,
  ) {}

  async publish(tenant: string | undefined, letter: DeadLetter): Promise<void> {
    this.counts[letter.code] = (this.counts[letter.code] ?? 0) + 1;
    this.logger.warn({ code: letter.code, reason: letter.reason, topic: letter.topic, index: letter.index, field: letter.field }, 'dead-lettered');
    await this.client.publishAsync(deadLetterTopic(tenant ?? UNATTRIBUTED_TENANT), JSON.stringify(letter), { qos: 1 });
  }
}
