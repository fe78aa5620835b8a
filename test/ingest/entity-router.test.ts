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
import type { DetectionBatch } from '../../src/contracts/correlator/messages';
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

test('a signal never carries more than maxSignalBytes of real payload, whatever the detections hold', async () => {
  const tenant = uniqueTenant('router-bytes');
  const maxSignalBytes = 64 * 1024;
  const router = new EntityRouter(client, testLogger, { maxSignalBytes, maxDelayMs: 50 });
  // Fields as ingest keeps them (up to 512 chars), with multi-byte text that a char count underestimates.
  const wide = Array.from({ length: 400 }, (_, i) => {
    const d = detection(tenant, 'h-wide', i);
    return {
      ...d,
      rules: [...d.rules, { id: '965bbda2-d926-4d83-9016-9068abca2c7d', name: 'aws_cloudtrail_api_access_denied', title: 'AWS API Call Denied', level: 'informational' as const, tags: ['attack.discovery', 'attack.t1580'] }],
      fields: { ...d.fields, CommandLine: `/usr/bin/ökö --データ ${'x'.repeat(400)}`, User: 'zoë' },
      summary: `zoë ran ökö on h-wide (${'データ'.repeat(30)})`,
    };
  });
  await router.route(tenant, wide);

  const history = await client.workflow.getHandle(correlatorWorkflowId(tenant, { type: 'host', id: 'h-wide' })).fetchHistory();
  const payloads = history.events!.filter((e) => e.workflowExecutionSignaledEventAttributes).map((e) => e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!);
  const sizes = payloads.map((p) => p.data!.length);
  for (const size of sizes) expect(size).toBeLessThanOrEqual(maxSignalBytes);
  // The bound is tight enough to fill signals: all but the last are at least 80% full.
  for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThan(0.8 * maxSignalBytes);
  expect(payloads.flatMap((p) => payloadConverter.fromPayload<DetectionBatch>(p).detections.map((d) => d.eventId))).toEqual(wide.map((d) => d.eventId));
});

test('route() rejects when Temporal refuses the signal, so ingest does not acknowledge', async () => {
  const tenant = uniqueTenant('router-bad');
  const router = new EntityRouter(client, testLogger);
  const bad = { ...detection(tenant, 'h', 1), entities: [{ type: 'host' as const, id: 'x'.repeat(2000) }] }; // workflow id over the 1,000-char limit
  await expect(router.route(tenant, [bad])).rejects.toThrow();
  expect(router.stats.failedSignals).toBe(1);
});
