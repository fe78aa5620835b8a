/**
 * Retrying a hand-off (archive write, Temporal signal, local dead-letter write) with back-off, without
 * acknowledging the message meanwhile: while a dependency is down, ingest stops reading (back-pressure)
 * instead of dropping or dead-lettering. An outage is retried for as long as it lasts. A failure that
 * is about the request itself (`isOutage` says no) is retried only `maxFailures` times in all, then
 * thrown, so the caller dead-letters the message instead of retrying it forever.
 */
import type { Logger } from 'pino';

export interface RetryOptions {
  /** Rethrow at once while the service is stopping (the message stays unacknowledged and is redelivered). */
  stopping?: () => boolean;
  /** Default: every failure is an outage. */
  isOutage?: (err: unknown) => boolean;
  /** Failures that are not outages allowed before giving up (default 1). */
  maxFailures?: number;
}

const BACKOFF_MS = { first: 200, max: 30_000 };

export async function retryOutage<T>(action: () => Promise<T>, logger: Logger, what: string, options: RetryOptions = {}): Promise<T> {
  let failures = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (err) {
      if (options.stopping?.()) throw err;
      const outage = options.isOutage?.(err) ?? true;
      if (!outage && ++failures >= (options.maxFailures ?? 1)) throw err;
      const delay = Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** Math.min(attempt - 1, 8));
      logger.warn({ err: (err as Error).message, attempt, outage, retryInMs: delay }, `${what} failed; retrying before acknowledging`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
