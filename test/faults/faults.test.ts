/**
 * The fault suite: under a steady stream of detections, each routine fault an operator meets — ingest
 * killed, worker killed, broker restarted, Temporal restarted, a poison message — and afterwards every
 * published event is accounted for (archived or dead-lettered), every detection is counted exactly once by
 * each correlator it concerns, and no alert is raised twice. Every part is a real process (fault-stack.ts).
 */
import { Packr } from 'msgpackr';
import { entityIdsOf, startFaultStack, type FaultStack, type Ledger } from './fault-stack';

jest.setTimeout(300_000);

let stack: FaultStack;

beforeAll(async () => {
  stack = await startFaultStack();
});
afterAll(async () => {
  await stack?.stop();
});

const STREAM = 240;
const RATE = 40;

/**
 * Exactly once: each correlator counted what was sent to it; each pod's correlator raised one alert (one rule, one
 * finding: the pod and its user) and its user's correlator links to that alert instead of raising its own.
 */
function expectExactlyOnce(ledger: Ledger, published: string[]): void {
  const total = [...ledger.correlators.values()].reduce((n, c) => n + c.eventCount, 0);
  expect(ledger.correlators.size).toBe(stack.pods.length * 2);
  // Every stream so far reaches the same correlators (the pod's and its user's): no more, no fewer.
  expect(total).toBe(2 * everPublished.length);
  for (const pod of stack.pods) {
    const [podId, userId] = entityIdsOf(stack.tenant, pod);
    const [podSide, userSide] = [ledger.correlators.get(podId)!, ledger.correlators.get(userId)!];
    expect({ id: podId, alerts: podSide.alertIds.length, linked: podSide.linkedAlertIds }).toEqual({ id: podId, alerts: 1, linked: [] });
    expect({ id: userId, alerts: userSide.alertIds, linked: userSide.linkedAlertIds }).toEqual({ id: userId, alerts: [], linked: podSide.alertIds });
  }
  for (const id of published) expect(ledger.archived.has(id) || ledger.deadLettered.some((d) => d.eventId === id)).toBe(true);
}

const everPublished: string[] = [];

async function streamThrough(fault: () => Promise<void>): Promise<Ledger> {
  const result = await stack.stream(STREAM, RATE, fault);
  expect(result.dropped).toBe(0);
  expect(result.published).toHaveLength(STREAM);
  everPublished.push(...result.published);
  const ledger = await stack.settled(everPublished);
  expectExactlyOnce(ledger, everPublished);
  return ledger;
}

test('a steady stream with no fault is accounted for (baseline)', async () => {
  await streamThrough(async () => undefined);
});

test('kill -9 ingest mid-stream: unacknowledged messages are redelivered to the restarted ingest', async () => {
  await streamThrough(async () => {
    await stack.ingest.kill9();
    await stack.ingest.start();
  });
});

test('kill -9 worker mid-stream: correlators resume from history on the restarted worker', async () => {
  await streamThrough(async () => {
    await stack.worker.kill9();
    await new Promise((r) => setTimeout(r, 1_000));
    await stack.worker.start();
  });
});

test('Mosquitto restart mid-stream: ingest resubscribes and nothing published is lost', async () => {
  await streamThrough(() => stack.mosquitto.restart(1_000));
});

test('Temporal dev server restart mid-stream: ingest holds acknowledgements until signals are accepted', async () => {
  await streamThrough(() => stack.temporal.restart(2_000));
});

test('a poison message mid-stream is dead-lettered and acknowledged; good events around it are processed', async () => {
  // A 64-bit time (msgpack uint64 0xcf), as non-JS encoders write large integers: it once decoded to a
  // BigInt that JSON could not write, and the unacknowledged message held every later PUBACK.
  const poison = new Packr({ useRecords: false }).pack({ v: 1, collector: 'poison', events: [{ id: `${stack.tenant}-poison`, time: 18446744073709551615n, data: {} }] });
  const ledger = await streamThrough(() => stack.publishRaw(poison));
  expect(ledger.deadLettered.map((d) => d.eventId)).toContain(`${stack.tenant}-poison`);
});
