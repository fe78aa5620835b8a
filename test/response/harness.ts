/**
 * Shared plumbing for playbook tests on the run's Temporal dev server (test/global-setup.ts): the run's
 * workflow bundle, a task queue of the file's own, a fresh Worker per test with real activities, the
 * correlator stand-in, and a state wait. Worker and client use Vigil's data converter (msgpack), as
 * production does, so CLI processes can talk to the runs too. Runs are tenant acme, like other files' on the
 * same server: alert ids (fixtures.ts) and task queues are unique per file, and teardown ends the file's
 * runs still going, so no other file's holder look-up or approval list finds them.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import pino from 'pino';
import { createActivities, type ActivityDeps } from '../../activities';
import type { Alert } from '../../src/model/alert';
import type { PlaybookBinding } from '../../src/model/playbook';
import { connectClient } from '../../src/temporal/client';
import { dataConverter } from '../../src/temporal/data-converter';
import type { EntityStateView } from '../../src/contracts/correlator/messages';
import { playbookStatusQuery, type PlaybookStateValue } from '../../src/contracts/playbook/messages';
import type { playbookWorkflow } from '../../workflows/playbook/playbook';
import { sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { playbookTestBundle } from '../helpers/workflow-bundles';
import { entityView } from './fixtures';
import { correlatorStandIn } from './workflows/correlator-stand-in';

export interface PlaybookHarness {
  /** A client of the run's server with Vigil's data converter. */
  client: Client;
  /** host:port of the run's Temporal server, for CLI processes. */
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

export async function startPlaybookHarness(name: string): Promise<PlaybookHarness> {
  // Kubernetes actions load @kubernetes/client-node on first use. Under jest that ES module is transformed
  // to CommonJS, which takes about a minute with a cold transform cache (a fresh CI clone): paid here, not
  // inside an action whose 30 s start-to-close timeout would expire and retry it (seen in CI).
  require('@kubernetes/client-node');
  const address = sharedTemporalAddress();
  const taskQueue = uniqueTenant(name);
  const client = await connectClient(address, 'default');
  const connection = await NativeConnection.connect({ address });
  const bundle = await playbookTestBundle();
  return {
    client,
    address,
    async withWorker(deps, fn) {
      const activities = createActivities({ logger: pino({ level: 'silent' }), client, ...deps });
      const worker = await Worker.create({ connection, taskQueue, workflowBundle: bundle, activities, dataConverter });
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
    async teardown() {
      const running = client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` });
      for await (const run of running) await client.workflow.getHandle(run.workflowId, run.runId).terminate('test file done').catch(() => undefined);
      await connection.close();
      await client.connection.close();
    },
  };
}

/** Polls the status query until the run reaches `state` (jest's test timeout bounds the wait). */
export async function waitForState(handle: WorkflowHandle, state: PlaybookStateValue): Promise<void> {
  for (;;) {
    if ((await handle.query(playbookStatusQuery)).state === state) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
