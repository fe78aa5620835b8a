/**
 * Shared plumbing for playbook tests: one real Temporal dev server and one workflow bundle per test
 * file, a fresh Worker per test with real activities, the correlator stand-in, and a state wait. Worker
 * and client use Vigil's data converter (msgpack), as production does, so CLI processes can talk to the
 * runs too.
 */
import path from 'node:path';
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import pino from 'pino';
import { createActivities, type ActivityDeps } from '../../activities';
import type { Alert } from '../../src/model/alert';
import type { PlaybookBinding } from '../../src/model/playbook';
import { dataConverter } from '../../src/temporal/data-converter';
import type { EntityStateView } from '../../workflows/correlator/messages';
import { playbookStatusQuery, type PlaybookStateValue } from '../../workflows/playbook/messages';
import type { playbookWorkflow } from '../../workflows/playbook/playbook';
import { startTemporalServer } from '../helpers/temporal-env';
import { entityView } from './fixtures';
import { correlatorStandIn } from './workflows/correlator-stand-in';

export interface PlaybookHarness {
  env: TestWorkflowEnvironment;
  /** A client of the harness server with Vigil's data converter (use it, not env.client). */
  client: Client;
  /** host:port of the harness's Temporal server, for CLI processes. */
  address: string;
  /** Runs `fn` while a worker with activities built from `deps` polls the harness task queue. */
  withWorker<T>(deps: Omit<ActivityDeps, 'logger' | 'client'>, fn: () => Promise<T>): Promise<T>;
  /**
   * Starts the correlator stand-in (answering with `view`, completing after `reportsToWaitFor` reports)
   * and the playbook as the correlator would.
   */
  startPlaybook(alert: Alert, binding: PlaybookBinding, view?: EntityStateView, reportsToWaitFor?: number): Promise<WorkflowHandle<typeof playbookWorkflow>>;
  /** Replays a finished run's history against the current workflow code (throws on non-determinism). */
  replay(handle: WorkflowHandle): Promise<void>;
  teardown(): Promise<void>;
}

export async function startPlaybookHarness(taskQueue: string): Promise<PlaybookHarness> {
  const { env, address } = await startTemporalServer();
  const client = new Client({ connection: env.connection, dataConverter });
  const bundle: WorkflowBundleWithSourceMap = await bundleWorkflowCode({
    workflowsPath: path.join(__dirname, 'workflows/index.ts'),
    payloadConverterPath: dataConverter.payloadConverterPath,
    logger: new DefaultLogger('WARN'),
  });
  return {
    env,
    client,
    address,
    async withWorker(deps, fn) {
      const activities = createActivities({ logger: pino({ level: 'silent' }), client, ...deps });
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities, dataConverter });
      return worker.runUntil(fn());
    },
    async startPlaybook(alert, binding, view = entityView(alert), reportsToWaitFor = 1) {
      await client.workflow.start(correlatorStandIn, { workflowId: alert.correlatorWorkflowId, taskQueue, args: [view, reportsToWaitFor] });
      return client.workflow.start<typeof playbookWorkflow>('playbookWorkflow', {
        workflowId: `playbook:${binding.playbook}:${alert.id}`,
        taskQueue,
        args: [{ alert, binding, correlatorWorkflowId: alert.correlatorWorkflowId }],
      });
    },
    async replay(handle) {
      await Worker.runReplayHistory({ workflowBundle: bundle, dataConverter }, await handle.fetchHistory(), handle.workflowId);
    },
    teardown: () => env.teardown(),
  };
}

/** Polls the status query until the run reaches `state` (jest's test timeout bounds the wait). */
export async function waitForState(handle: WorkflowHandle, state: PlaybookStateValue): Promise<void> {
  for (;;) {
    if ((await handle.query(playbookStatusQuery)).state === state) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
