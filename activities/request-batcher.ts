/**
 * Coalesces concurrent requests per key into batches, with at most one batch in flight per key: a request to an idle
 * key is sent at once (alone: no added latency), and every request arriving while that key's batch is in flight
 * waits for the next batch, sent as soon as the current one settles. A batch holds at most `maxItems` items and
 * `maxBytes` of items (an item over `maxBytes` still goes, alone); the rest waits for the following batch, in
 * arrival order.
 *
 * `send` answers with one result per item, in the items' order; each caller gets its own item's result. A failed
 * batch (or an answer of the wrong length) fails every caller in it; nothing is retried here (the callers are
 * activities: their retry policy does that). A caller that gives up (its AbortSignal) is rejected at once; the
 * batch's own signal aborts only when every caller in it has given up. Each caller gives its deadline; a batch
 * ends by the earliest deadline of its callers, so no caller waits past its own when all callers allow the same
 * span (as the routing activity does: the batch it queued behind has earlier callers, hence an earlier deadline).
 */

export interface BatcherLimits {
  maxItems: number;
  maxBytes: number;
}

/** One batch as `send` gets it: the items, the time it must finish by, and a signal aborted when nobody waits. */
export interface Batch<T> {
  key: string;
  items: T[];
  deadline: number;
  signal: AbortSignal;
}

interface Pending<T, R> {
  item: T;
  bytes: number;
  deadline: number;
  /** Settles the request once (answered, failed or given up); later outcomes are ignored. */
  settle: (outcome: { result: R } | { error: unknown }) => void;
  done: boolean;
  /** Set while the request is in a batch in flight: counts it out of the batch's waiting callers. */
  onGiveUp?: () => void;
}

export class RequestBatcher<T, R> {
  /** Keys with a batch in flight, each with the requests waiting for the next batch. */
  private readonly queues = new Map<string, Pending<T, R>[]>();

  constructor(
    private readonly limits: BatcherLimits,
    private readonly sizeOf: (item: T) => number,
    private readonly send: (batch: Batch<T>) => Promise<R[]>,
  ) {}

  submit(key: string, item: T, deadline: number, signal?: AbortSignal): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        pending.settle({ error: signal!.reason });
        pending.onGiveUp?.();
      };
      const pending: Pending<T, R> = {
        item,
        bytes: this.sizeOf(item),
        deadline,
        done: false,
        settle: (outcome) => {
          if (pending.done) return;
          pending.done = true;
          signal?.removeEventListener('abort', onAbort);
          if ('result' in outcome) resolve(outcome.result);
          else reject(outcome.error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const queue = this.queues.get(key);
      if (queue) queue.push(pending);
      else {
        this.queues.set(key, []);
        void this.run(key, [pending]);
      }
    });
  }

  /** Sends `batch`, then the next one from the key's queue, until the queue is empty (then the key is idle). */
  private async run(key: string, first: Pending<T, R>[]): Promise<void> {
    for (let batch = first; batch.length > 0; batch = this.take(key)) await this.sendBatch(key, batch);
    this.queues.delete(key);
  }

  /** The next batch off the key's queue, within the limits (the first request always fits). */
  private take(key: string): Pending<T, R>[] {
    const queue = (this.queues.get(key) ?? []).filter((p) => !p.done);
    let count = 0;
    let bytes = 0;
    while (count < queue.length && count < this.limits.maxItems && (count === 0 || bytes + queue[count]!.bytes <= this.limits.maxBytes)) bytes += queue[count++]!.bytes;
    this.queues.set(key, queue.slice(count));
    return queue.slice(0, count);
  }

  private async sendBatch(key: string, batch: Pending<T, R>[]): Promise<void> {
    const abort = new AbortController();
    let waiting = batch.length;
    for (const p of batch)
      p.onGiveUp = () => {
        if (--waiting === 0) abort.abort(new Error('every caller of the batch gave up'));
      };
    try {
      const results = await this.send({ key, items: batch.map((p) => p.item), deadline: Math.min(...batch.map((p) => p.deadline)), signal: abort.signal });
      if (results.length !== batch.length) throw new Error(`batch of ${batch.length} answered with ${results.length} results`);
      batch.forEach((p, i) => p.settle({ result: results[i]! }));
    } catch (err) {
      for (const p of batch) p.settle({ error: err });
    }
  }
}
