/**
 * The correlation core inside a real Temporal workflow (shared dev server, Vigil's msgpack data converter)
 * gives exactly the hits of `correlateOffline`, the function behind `vigil rules eval`.
 */
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { correlateOffline } from '../../src/correlation';
import type { Detection } from '../../src/model/detection';
import { dataConverter } from '../../src/temporal/data-converter';
import { sharedClient, sharedTemporalAddress } from '../helpers/shared-servers';
import { correlationFromYaml, det, min, sec } from './helpers';
import type { correlateInSandbox } from './workflows/correlate-in-sandbox';

const rules = [
  correlationFromYaml('title: burst\nname: burst\ncorrelation: { type: value_count, rules: [api], group-by: [arn], timespan: 5m, condition: { field: eventName, gte: 4 } }'),
  correlationFromYaml('title: then key\nname: then_key\ncorrelation: { type: temporal_ordered, rules: [burst, key_created], group-by: [arn], timespan: 10m }'),
  correlationFromYaml('title: gap\nname: gap\ncorrelation: { type: temporal_ordered, rules: [mfa_off, mfa_on], group-by: [arn], timespan: 10m, condition: mfa_off and not mfa_on }'),
];

function detections(): Detection[] {
  const out: Detection[] = [];
  for (let i = 0; i < 90; i++) {
    const arn = `arn:u${i % 2}`;
    out.push(det(`api${i}`, i * 20 * sec, ['api'], { arn, eventName: `Op${i % 5}` }));
    if (i % 13 === 0) out.push(det(`key${i}`, i * 20 * sec + 1, ['key_created'], { arn }));
    if (i % 29 === 0) out.push(det(`off${i}`, i * 20 * sec + 2, ['mfa_off'], { arn }));
    if (i === 29) out.push(det('on29', 29 * 20 * sec + 4 * min, ['mfa_on'], { arn }));
  }
  return out.sort((a, b) => a.time - b.time);
}

test('workflow sandbox (exactOrder, disordered arrival) and offline evaluation agree hit for hit', async () => {
  const taskQueue = `correlation-sandbox-${Date.now().toString(36)}`;
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: path.join(__dirname, 'workflows/correlate-in-sandbox.ts'),
    payloadConverterPath: dataConverter.payloadConverterPath,
    logger: new DefaultLogger('WARN'),
  });
  const connection = await NativeConnection.connect({ address: sharedTemporalAddress() });
  const client = await sharedClient();
  const worker = await Worker.create({ connection, taskQueue, workflowBundle, dataConverter });
  const input = detections();
  // Arrival out of event-time order by less than the allowance; exactOrder makes that irrelevant.
  const arrival = input.map((d, i) => [d.time + ((i * 7919) % 20_000), d] as const).sort((a, b) => a[0] - b[0]).map(([, d]) => d);
  const batches: Detection[][] = [];
  for (let i = 0; i < arrival.length; i += 10) batches.push(arrival.slice(i, i + 10));
  const options = { allowedLatenessMs: 30 * sec, exactOrder: true };
  try {
    const fromWorkflow = await worker.runUntil(
      client.workflow.execute<typeof correlateInSandbox>('correlateInSandbox', {
        taskQueue,
        workflowId: `${taskQueue}-run`,
        args: [rules, batches, options, input[input.length - 1]!.time + 1],
      }),
    );
    const offline = correlateOffline(rules, input);
    expect(new Set(offline.map((h) => h.kind))).toEqual(new Set(['correlation', 'absence']));
    expect(offline.some((h) => h.rule.id === 'then_key')).toBe(true);
    expect(fromWorkflow).toEqual(offline);
  } finally {
    await client.connection.close();
    await connection.close();
  }
});
