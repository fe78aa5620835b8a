/**
 * Fuzzing a running `vigil ingest` (real process, real Mosquitto with the generated tenant policy, real
 * Temporal): 10,000 mutated and random payloads on the tenant's event topic with good events interleaved.
 * Ingest stays up (the same process throughout), every good event is archived and counted exactly once,
 * and every bad payload is accounted for: a message that is not a batch comes back whole as a dead letter
 * with a stable code and a reason; a batch's events are each archived or dead-lettered by id.
 * The generator is seeded (FUZZ_SEED=… reproduces a run).
 */
import { randomBytes } from 'node:crypto';
import { mutatePayload, seededRandom } from '../../src/bench/support/fuzz-payloads';
import { RawEventSchema, EventBatchSchema, type RawEvent } from '../../src/model/event';
import { decodeBatch, encodeBatch } from '../../src/mqtt/wire-codec';
import { podExecEvent } from '../helpers/rules-dir';
import { startFaultStack, type FaultStack } from './fault-stack';

jest.setTimeout(600_000);

const FUZZ_PAYLOADS = 10_000;
/** One good batch after every this many fuzz payloads. */
const GOOD_EVERY = 100;
const seed = Number(process.env.FUZZ_SEED ?? randomBytes(4).readUInt32LE(0));

/**
 * What ingest must do with one payload: a payload that is not a valid batch comes back whole as a dead
 * letter; a batch's events are each archived or dead-lettered, those with an id findable by it.
 */
function expectationOf(payload: Buffer): { whole: true } | { whole: false; eventIds: string[] } {
  let decoded: unknown;
  try {
    decoded = decodeBatch(payload);
  } catch {
    return { whole: true };
  }
  const batch = EventBatchSchema.safeParse(decoded);
  if (!batch.success) return { whole: true };
  return { whole: false, eventIds: batch.data.events.flatMap((e) => { const r = RawEventSchema.safeParse(e); return r.success ? [r.data.id] : []; }) };
}

let stack: FaultStack;
beforeAll(async () => {
  stack = await startFaultStack({ pods: 4 });
});
afterAll(async () => {
  await stack?.stop();
});

test(`ingest survives ${FUZZ_PAYLOADS} mutated and random payloads with good events interleaved (seed ${seed})`, async () => {
  const rand = seededRandom(seed);
  const ingestPid = stack.ingest.current.child.pid;
  // Bases: batches in the collectors' own encoding, of events no rule matches (fuzzed events must not
  // create correlators) and of the stream's matching kind.
  const benign = (id: string): RawEvent => ({ id, time: Date.now(), data: { kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: id, verb: 'get', user: { username: 'fuzz' }, objectRef: { resource: 'configmaps', namespace: 'fuzz', name: 'cm' } } });
  const bases = [1, 3, 8].map((n) => encodeBatch({ v: 1, collector: 'fuzz', events: Array.from({ length: n }, (_, i) => benign(`fz-${n}-${i}`)) }));

  const expectedWhole = new Set<string>();
  const expectedIds = new Set<string>();
  const good: string[] = [];
  let goodSeq = 0;
  const sends: Promise<void>[] = [];
  for (let i = 0; i < FUZZ_PAYLOADS; i++) {
    const payload = mutatePayload(bases[i % bases.length]!, rand);
    const expectation = expectationOf(payload);
    if (expectation.whole) expectedWhole.add(payload.toString('base64'));
    else for (const id of expectation.eventIds) expectedIds.add(id);
    sends.push(stack.publishRaw(payload));
    if (i % GOOD_EVERY === GOOD_EVERY - 1) {
      const pod = stack.pods[goodSeq % stack.pods.length]!;
      const id = `${stack.tenant}-good-${goodSeq++}`;
      good.push(id);
      sends.push(stack.publishRaw(encodeBatch({ v: 1, collector: 'fuzz-good', events: [{ id, time: Date.now(), data: podExecEvent(id, 'faults', pod, `u-${pod}`) }] })));
    }
    // Keep a bounded number of publishes awaiting PUBACK.
    if (sends.length >= 200) await Promise.all(sends.splice(0));
  }
  await Promise.all(sends);

  // Good events: archived and counted exactly once by their pod's and user's correlators (the stack's ledger).
  const ledger = await stack.settled(good, 300_000);
  // One alert per finding: each pod's correlator raised it, its user's correlator links to it.
  const raised = new Set([...ledger.correlators.values()].flatMap((c) => c.alertIds));
  for (const [id, c] of ledger.correlators) {
    expect({ id, owned: c.alertIds.length + c.linkedAlertIds.length }).toEqual({ id, owned: 1 });
    expect(id.includes(':pod:') ? c.alertIds : c.linkedAlertIds.filter((l) => raised.has(l))).toHaveLength(1);
  }
  expect([...ledger.correlators.values()].reduce((n, c) => n + c.eventCount, 0)).toBe(2 * good.length);

  // Bad ones: every whole-message rejection came back with its bytes, every batch event is somewhere.
  const waitFor = async (): Promise<void> => {
    for (let deadline = Date.now() + 300_000; ; ) {
      const l = await stack.ledger();
      const whole = new Set(l.deadLettered.flatMap((d) => (d.payloadBase64 !== undefined ? [d.payloadBase64] : [])));
      const byId = new Set(l.deadLettered.flatMap((d) => (d.eventId ? [d.eventId] : [])));
      const missingWhole = [...expectedWhole].filter((p) => !whole.has(p));
      const missingIds = [...expectedIds].filter((id) => !l.archived.has(id) && !byId.has(id));
      if (missingWhole.length === 0 && missingIds.length === 0) return;
      if (Date.now() > deadline) throw new Error(`seed ${seed}: ${missingWhole.length} whole payloads and ${missingIds.length} event ids unaccounted for (e.g. ${missingWhole[0] ?? missingIds[0]})`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  };
  await waitFor();
  const letters = (await stack.ledger()).deadLettered;
  expect(letters.length).toBeGreaterThanOrEqual(expectedWhole.size);
  for (const letter of letters) {
    expect(letter.code).toMatch(/^VGL_DLQ_[A-Z_]+$/);
    expect(letter.reason.length).toBeGreaterThan(0);
  }
  // The same ingest process handled all of it: nothing crashed and restarted.
  expect(stack.ingest.current.child.pid).toBe(ingestPid);
  expect(stack.ingest.current.child.exitCode).toBeNull();
});
