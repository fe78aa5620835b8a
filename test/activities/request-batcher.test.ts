/**
 * The request batcher the routing activity uses: requests to an idle key go at once; requests arriving while a batch
 * is in flight go together in the next one, within the item and byte bounds, one batch in flight per key; each caller
 * gets its own item's result; a failed batch fails each of its callers and the next batch still goes; a caller that
 * gives up is rejected at once, and the batch is aborted only when all of its callers gave up.
 */
import { RequestBatcher, type Batch } from '../../activities/request-batcher';

interface Sent {
  batch: Batch<string>;
  answer: (results: string[]) => void;
  fail: (err: Error) => void;
}

/** A batcher whose `send` records each batch and waits for the test to answer it. */
function controlled(limits = { maxItems: 100, maxBytes: 1_000_000 }) {
  const sent: Sent[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const waiters: (() => void)[] = [];
  const batcher = new RequestBatcher<string, string>(
    limits,
    (item) => item.length,
    (batch) =>
      new Promise<string[]>((resolve, reject) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        const done = () => inFlight--;
        sent.push({ batch, answer: (r) => (done(), resolve(r)), fail: (e) => (done(), reject(e)) });
        waiters.splice(0).forEach((w) => w());
      }),
  );
  /** Resolves once `n` batches have been sent. */
  const batches = async (n: number): Promise<Sent[]> => {
    while (sent.length < n) await new Promise<void>((r) => waiters.push(r));
    return sent;
  };
  return { batcher, sent, batches, maxInFlight: () => maxInFlight };
}

const far = () => Date.now() + 60_000;
const upper = (items: string[]) => items.map((i) => i.toUpperCase());

test('a request to an idle key goes at once; those arriving meanwhile share the next batch; each gets its own result', async () => {
  const { batcher, batches, maxInFlight } = controlled();
  const first = batcher.submit('t1', 'a0', far());
  const [one] = await batches(1);
  expect(one!.batch.items).toEqual(['a0']);
  const rest = Array.from({ length: 40 }, (_, i) => batcher.submit('t1', `a${i + 1}`, far()));
  // Another key is independent: it does not wait for t1's batch.
  const other = batcher.submit('t2', 'b0', far());
  const [, two] = await batches(2);
  expect(two!.batch).toMatchObject({ key: 't2', items: ['b0'] });
  two!.answer(upper(two!.batch.items));
  await expect(other).resolves.toBe('B0');

  one!.answer(upper(one!.batch.items));
  await expect(first).resolves.toBe('A0');
  const [, , three] = await batches(3);
  expect(three!.batch.items).toEqual(Array.from({ length: 40 }, (_, i) => `a${i + 1}`));
  three!.answer(upper(three!.batch.items));
  expect(await Promise.all(rest)).toEqual(Array.from({ length: 40 }, (_, i) => `A${i + 1}`));
  expect(maxInFlight()).toBe(2); // one per key
});

test('batches respect the item and byte bounds, in arrival order; an oversized item goes alone', async () => {
  const { batcher, batches } = controlled({ maxItems: 3, maxBytes: 6 });
  const results = [batcher.submit('k', 'x', far())];
  await batches(1);
  for (const item of ['aa', 'bb', 'cc', 'dd', 'e', 'f', 'g', 'huge-item', 'i']) results.push(batcher.submit('k', item, far()));
  const expected = [['x'], ['aa', 'bb', 'cc'], ['dd', 'e', 'f'], ['g'], ['huge-item'], ['i']];
  for (let n = 1; n <= expected.length; n++) {
    const sent = await batches(n);
    expect(sent[n - 1]!.batch.items).toEqual(expected[n - 1]);
    sent[n - 1]!.answer(upper(sent[n - 1]!.batch.items));
  }
  expect(await Promise.all(results)).toEqual(expected.flat().map((i) => i.toUpperCase()));
});

test('a failed batch fails each of its callers; the next batch still goes; a wrong-length answer is a failure', async () => {
  const { batcher, batches } = controlled();
  const first = batcher.submit('k', 'a', far());
  const [one] = await batches(1);
  const failing = [batcher.submit('k', 'b', far()), batcher.submit('k', 'c', far())];
  one!.answer(['A']);
  await expect(first).resolves.toBe('A');
  const [, two] = await batches(2);
  const later = batcher.submit('k', 'd', far());
  two!.fail(new Error('update refused'));
  for (const p of failing) await expect(p).rejects.toThrow('update refused');
  const [, , three] = await batches(3);
  expect(three!.batch.items).toEqual(['d']);
  three!.answer(['D', 'extra']);
  await expect(later).rejects.toThrow('batch of 1 answered with 2 results');
});

test('a caller that gives up is rejected at once; the batch is aborted only when all its callers gave up; a batch ends by its earliest deadline', async () => {
  const { batcher, batches } = controlled();
  const [g1, g2, g3] = [new AbortController(), new AbortController(), new AbortController()];
  const first = batcher.submit('k', 'a', Date.now() + 50_000, g1.signal);
  const [one] = await batches(1);
  const queued = batcher.submit('k', 'b', Date.now() + 30_000, g2.signal);
  const queuedToo = batcher.submit('k', 'c', Date.now() + 40_000, g3.signal);
  // Given up while queued: rejected now, and not sent.
  g3.abort(new Error('c cancelled'));
  await expect(queuedToo).rejects.toThrow('c cancelled');
  g1.abort(new Error('a cancelled'));
  await expect(first).rejects.toThrow('a cancelled');
  expect(one!.batch.signal.aborted).toBe(true);
  one!.answer(['A']);

  const [, two] = await batches(2);
  expect(two!.batch.items).toEqual(['b']);
  expect(two!.batch.deadline).toBeLessThanOrEqual(Date.now() + 30_000);
  expect(two!.batch.signal.aborted).toBe(false);
  two!.answer(['B']);
  await expect(queued).resolves.toBe('B');
  // Already given up: never queued.
  const gone = new AbortController();
  gone.abort(new Error('too late'));
  await expect(batcher.submit('k', 'z', far(), gone.signal)).rejects.toThrow('too late');
});

test('a batch with a caller still waiting is not aborted; its earliest deadline bounds it', async () => {
  const { batcher, batches } = controlled();
  const [g1, g2] = [new AbortController(), new AbortController()];
  void batcher.submit('k', 'x', far());
  const [x] = await batches(1);
  const early = Date.now() + 5_000;
  const a = batcher.submit('k', 'a', far(), g1.signal);
  const b = batcher.submit('k', 'b', early, g2.signal);
  x!.answer(['X']);
  const [, two] = await batches(2);
  expect(two!.batch.deadline).toBe(early);
  g1.abort(new Error('a cancelled'));
  await expect(a).rejects.toThrow('a cancelled');
  expect(two!.batch.signal.aborted).toBe(false);
  two!.answer(['A', 'B']);
  await expect(b).resolves.toBe('B');
});
