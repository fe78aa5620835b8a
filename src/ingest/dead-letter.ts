/**
 * Dead letters: input ingest cannot use is published, with its reason and location, to
 * `vigil/v1/{tenant}/deadletter` (JSON, QoS 1) and counted by code. Nothing bad is dropped silently
 * and one bad event never takes its batch-mates with it.
 *
 * Publishing a dead letter can itself fail: the broker refuses it (an ACL, a size limit), or does not
 * acknowledge it in time, or the letter is larger than `maxBytes`. The letter is then appended to a
 * local file instead, `<dir>/<tenant>/<YYYY-MM-DD>.ndjson` (fdatasync'ed), and counted in `kept`, so
 * the message it stands for can still be acknowledged: a dead letter never holds up ingest. Only if
 * that file cannot be written either does `publish` keep retrying (a full disk is an outage).
 */
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { ErrorCode } from '../error-codes';
import { deadLetterTopic, UNATTRIBUTED_TENANT } from '../mqtt/topics';
import { DayFiles } from './day-files';
import { retryOutage } from './outage-retry';

export interface DeadLetter {
  code: ErrorCode;
  reason: string;
  /** The topic the input arrived on. */
  topic: string;
  /** sha256 (hex, 32 chars) of the topic and payload: the same message redelivered has the same one. */
  fingerprint: string;
  /** For a single bad event: its index in the batch and the offending field path. */
  index?: number;
  field?: string;
  receivedAt: number;
  /** The original bytes (whole message) as base64, or the offending event itself. */
  payloadBase64?: string;
  event?: unknown;
}

export interface DeadLetterStats {
  /** Letters by code (published or kept locally). */
  byCode: Partial<Record<ErrorCode, number>>;
  /** Letters that went to the local file instead of the broker. */
  kept: number;
}

export interface DeadLetterOptions {
  /** Where letters go when the broker does not take them. */
  dir: string;
  /** Larger letters (JSON bytes) are kept locally, not published. Default 1 MiB. */
  maxBytes?: number;
  /** How long to wait for the broker's PUBACK before keeping the letter locally. Default 10 s. */
  publishTimeoutMs?: number;
  /** Ingest is stopping: give up retrying the local file (the message stays unacknowledged). */
  stopping?: () => boolean;
}

export class DeadLetterPublisher {
  readonly stats: DeadLetterStats = { byCode: {}, kept: 0 };
  private readonly local: DayFiles;
  private readonly maxBytes: number;
  private readonly publishTimeoutMs: number;
  private readonly stopping: (() => boolean) | undefined;

  constructor(
    private readonly client: MqttClient,
    private readonly logger: Logger,
    options: DeadLetterOptions,
  ) {
    this.local = new DayFiles(options.dir);
    this.maxBytes = options.maxBytes ?? 1024 * 1024;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
    this.stopping = options.stopping;
  }

  /** Resolves once the letter is acknowledged by the broker or on disk; the message it stands for may then be acknowledged. */
  async publish(tenant: string | undefined, letter: DeadLetter): Promise<void> {
    const to = tenant ?? UNATTRIBUTED_TENANT;
    this.stats.byCode[letter.code] = (this.stats.byCode[letter.code] ?? 0) + 1;
    this.logger.warn({ code: letter.code, reason: letter.reason, topic: letter.topic, index: letter.index, field: letter.field, fingerprint: letter.fingerprint }, 'dead-lettered');
    const text = JSON.stringify(letter);
    const bytes = Buffer.byteLength(text);
    let failure = `${bytes} bytes, over the ${this.maxBytes}-byte bound of published dead letters`;
    if (bytes <= this.maxBytes) {
      try {
        await this.publishWithin(deadLetterTopic(to), text);
        return;
      } catch (err) {
        failure = (err as Error).message;
      }
    }
    this.stats.kept += 1;
    this.logger.error({ code: letter.code, fingerprint: letter.fingerprint, failure, file: this.local.fileFor([to], letter.receivedAt) }, 'dead letter not published; kept in the local dead-letter file');
    await retryOutage(() => this.local.append([to], letter.receivedAt, text + '\n'), this.logger, 'writing the local dead-letter file', { stopping: this.stopping });
  }

  private async publishWithin(topic: string, text: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.client.publishAsync(topic, text, { qos: 1 }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no PUBACK within ${this.publishTimeoutMs} ms`)), this.publishTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.local.close();
  }
}
