/**
 * Issue 8, finding 3: a burst of ordinary detections for one entity must not crash a worker. A client retrying
 * one denied call (3,600 MQTT batches of 3 CloudTrail AccessDenied events, one user) goes through the whole
 * pipeline: Mosquitto → ingest (the shipped rule pack: api_access_denied + recon_api_call, feeding the
 * recon-burst value_count) → EntityRouter → the user's and the account's correlators in a real `vigil worker`.
 * Before the fix the worker process died within ~20 s ("async hook stack has become corrupted") and again on
 * every restart. Now: the worker stays up, every detection is counted exactly once, another user's correlator
 * is served during the burst, and the burst's histories replay deterministically.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import mqtt, { type MqttClient } from 'mqtt';
import { startIngestRole, type IngestRole } from '../../src/app/ingest-process';
import { BatchPublisher } from '../../src/collect/batch-publisher';
import { loadConfig } from '../../src/config';
import type { EntityRef } from '../../src/model/entity';
import type { RawEvent } from '../../src/model/event';
import { projectRoot } from '../../src/project-root';
import { dataConverter } from '../../src/temporal/data-converter';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import { entityStateQuery } from '../../src/contracts/correlator/messages';
import { eventually, sharedMqttUrl, sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { startVigil, type VigilProcess } from '../helpers/vigil-process';
import { vigilWorkflowBundle } from '../helpers/workflow-bundles';

const tenant = uniqueTenant('burst');
const account = '111122223333';
const alice = `arn:aws:iam::${account}:user/alice`;
const bob = `arn:aws:iam::${account}:user/bob`;
const BATCHES = 3_600;
const PER_BATCH = 3;
const BURST = BATCHES * PER_BATCH;

let client: Client;
let ingest: IngestRole;
let publisherClient: MqttClient;
let publisher: BatchPublisher;
let worker: VigilProcess;
let workerExit: Promise<never>;

beforeAll(async () => {
  const env = {
    TEMPORAL_ADDRESS: sharedTemporalAddress(),
    VIGIL_TENANTS: tenant,
    VIGIL_RULES_DIR: path.join(projectRoot, 'rules'),
    VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-burst-')),
  };
  // Burst histories exceed gRPC's default 4 MB message size when fetched whole.
  const connection = await Connection.connect({ address: sharedTemporalAddress(), channelArgs: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 } });
  client = new Client({ connection, namespace: 'default', dataConverter });
  worker = startVigil(['worker'], env);
  workerExit = new Promise<never>((_, reject) =>
    worker.child.once('exit', (code, signal) => reject(new Error(`vigil worker exited (${code ?? signal}):\n${worker.output().slice(-3000)}`))),
  );
  workerExit.catch(() => undefined); // observed by the test through Promise.race
  ingest = await startIngestRole(loadConfig({ ...process.env, ...env }), sharedMqttUrl(), client, testLogger, `g-${tenant}`);
  publisherClient = await mqtt.connectAsync(sharedMqttUrl(), { protocolVersion: 5 });
  publisher = new BatchPublisher(publisherClient, { tenant, source: 'cloudtrail', collector: 'burst', maxBatchEvents: PER_BATCH, maxBatchDelayMs: 50, maxInFlight: 32 }, testLogger);
});

afterAll(async () => {
  publisher?.close();
  await publisherClient?.endAsync();
  await ingest?.stop();
  await worker?.stop();
  await client?.connection.close();
});

/** A CloudTrail record of `user` being denied `s3:ListBuckets`, as CloudTrail writes it. */
function deniedCall(id: string, user: string, time: number): RawEvent {
  const name = user.slice(user.lastIndexOf('/') + 1);
  return {
    id,
    time,
    data: {
      eventVersion: '1.09',
      userIdentity: { type: 'IAMUser', principalId: `AIDA${name.toUpperCase()}XXXXXXXQ7`, arn: user, accountId: account, accessKeyId: 'AKIA7CH2Z4EAYJ62GF6N', userName: name },
      eventTime: new Date(time).toISOString().replace(/\.\d+Z$/, 'Z'),
      eventSource: 's3.amazonaws.com',
      eventName: 'ListBuckets',
      awsRegion: 'us-east-1',
      sourceIPAddress: '198.51.100.23',
      userAgent: 'aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2',
      requestParameters: { Host: 's3.us-east-1.amazonaws.com' },
      responseElements: null,
      requestID: `${id}-req`,
      eventID: id,
      readOnly: true,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: account,
      eventCategory: 'Management',
      errorCode: 'AccessDenied',
      errorMessage: `User: ${user} is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action`,
    },
  };
}

const { WorkflowTaskFailedCause } = temporal.api.enums.v1;
const serverSideCauses = new Set([
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE,
]);

const handle = (entity: EntityRef) => client.workflow.getHandle(correlatorWorkflowId(tenant, entity));

/** Waits for the correlator's eventCount to reach `count`; fails at once if the worker process dies. */
function counted(entity: EntityRef, count: number): Promise<number> {
  const reached = eventually(async () => {
    const view = await handle(entity).query(entityStateQuery);
    return view.eventCount >= count ? view.eventCount : undefined;
  }, `${entity.type} ${entity.id} to count ${count} detections`, 300_000, 500);
  return Promise.race([reached, workerExit]);
}

test('a 10,800-detection burst for one user: the worker stays up, each detection counts once, another user is served', async () => {
  const t0 = Date.now();
  for (let i = 0; i < BURST; i++) {
    publisher.add(deniedCall(`${tenant}-alice-${i}`, alice, t0 + i * 10));
    // Another user of the same account, in the middle of the burst.
    if (i === BURST / 2) for (let j = 0; j < 3; j++) publisher.add(deniedCall(`${tenant}-bob-${j}`, bob, t0 + i * 10 + j));
  }
  await Promise.race([publisher.flush(), workerExit]);

  expect(await counted({ type: 'user', id: bob }, 3)).toBe(3);
  expect(await counted({ type: 'user', id: alice }, BURST)).toBe(BURST);
  expect(await counted({ type: 'account', id: account }, BURST + 3)).toBe(BURST + 3);
  // Nothing counted twice: the counts stay put once every detection is in.
  const view = await handle({ type: 'user', id: alice }).query(entityStateQuery);
  expect(view.eventCount).toBe(BURST);
  expect(worker.child.exitCode).toBeNull();
  expect(worker.output()).not.toMatch(/async hook stack|Script execution timed out/);
}, 400_000);

test('no workflow task of the burst failed in workflow code, and its runs replay deterministically with the current code', async () => {
  const bundle = await vigilWorkflowBundle();
  const workflowId = correlatorWorkflowId(tenant, { type: 'user', id: alice });
  const executions = client.workflow.list({ query: `WorkflowId = '${workflowId}'` });
  let replayed = 0;
  for await (const execution of executions) {
    const history = await client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
    // The server force-closes a task when over 2 MiB of signals buffer while it runs, or rejects a completion that
    // raced new signals: both are retried at once and are not failures of the workflow's code.
    const failed = history.events!.filter((e) => e.workflowTaskFailedEventAttributes).map((e) => e.workflowTaskFailedEventAttributes!);
    expect(failed.filter((f) => !serverSideCauses.has(f.cause!)).map((f) => f.failure?.message)).toEqual([]);
    await Worker.runReplayHistory({ workflowBundle: bundle, dataConverter }, history, workflowId);
    replayed++;
  }
  expect(replayed).toBeGreaterThan(0);
}, 300_000);
