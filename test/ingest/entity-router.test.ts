/**
 * The router against a real Temporal server (no worker: the correlator's history itself shows what was
 * delivered): detections from many concurrent route() calls are combined into few signals, none is
 * lost or duplicated, per-correlator order is kept, and the signal size bound holds.
 */
import type { Client } from '@temporalio/client';
import { EntityRouter } from '../../src/ingest/entity-router';
import type { Detection } from '../../src/model/detection';
import { payloadConverter } from '../../src/temporal/payload-converter';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import type { DetectionBatch } from '../../workflows/correlator/messages';
import { sharedClient, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';

let client: Client;
beforeAll(async () => {
  client = await sharedClient();
});
afterAll(async () => client.connection.close());

function detection(tenant: string, host: string, i: number): Detection {
  return {
    eventId: `${host}-${i}`,
    tenant,
    source: 'process',
    time: 1_700_000_000_000 + i,
    rules: [{ id: 'r1', title: 'R1', level: 'low', tags: [] }],
    entities: [{ type: 'host', id: host }],
    fields: { Hostname: host },
    summary: host,
    rulesetVersion: 'v1',
  };
}

async function deliveredBatches(tenant: string, host: string): Promise<DetectionBatch[]> {
  const history = await client.workflow.getHandle(correlatorWorkflowId(tenant, { type: 'host', id: host })).fetchHistory();
  return history
    .events!.filter((e) => e.workflowExecutionSignaledEventAttributes)
    .map((e) => payloadConverter.fromPayload<DetectionBatch>(e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!));
}

test('concurrent route() calls share signals; every detection arrives once, in order, within the size bound', async () => {
  const tenant = uniqueTenant('router');
  const router = new EntityRouter(client, testLogger, { maxDetectionsPerSignal: 40 });
  const calls = Array.from({ length: 30 }, (_, c) => Array.from({ length: 10 }, (_, j) => detection(tenant, j % 2 === 0 ? 'h-even' : 'h-odd', c * 10 + j)));
  await Promise.all(calls.map((batch) => router.route(tenant, batch)));

  expect(router.stats.detections).toBe(300);
  expect(router.stats.signals).toBeLessThan(30); // far fewer signals than route() calls
  for (const host of ['h-even', 'h-odd']) {
    const batches = await deliveredBatches(tenant, host);
    const ids = batches.flatMap((b) => b.detections.map((d) => d.eventId));
    const sent = calls.flat().filter((d) => d.entities[0]!.id === host).map((d) => d.eventId);
    expect(ids).toEqual(sent);
    for (const b of batches) expect(b.detections.length).toBeLessThanOrEqual(40);
    expect(new Set(batches.map((b) => b.batchId)).size).toBe(batches.length);
  }
});

test('route() rejects when Temporal refuses the signal, so ingest does not acknowledge', async () => {
  const tenant = uniqueTenant('router-bad');
  const router = new EntityRouter(client, testLogger);
  const bad = { ...detection(tenant, 'h', 1), entities: [{ type: 'host' as const, id: 'x'.repeat(2000) }] }; // workflow id over the 1,000-char limit
  await expect(router.route(tenant, [bad])).rejects.toThrow();
  expect(router.stats.failedSignals).toBe(1);
});
