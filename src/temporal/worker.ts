/**
 * Vigil's Temporal workers: one Worker per tenant task queue (a TS Worker polls exactly one queue),
 * all sharing one NativeConnection and one pre-built workflow bundle. Each Worker's workflow cache is
 * sized explicitly: the SDK default assumes the whole heap per Worker.
 */
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions, type WorkflowBundleOption, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { CorrelatorActivities } from '../contracts/correlator/activities';
import type { IncidentActivities, IncidentRoutingActivities } from '../contracts/incident/activities';
import type { PlaybookActivities } from '../contracts/playbook/activities';
import { compiledPath } from '../project-root';
import { dataConverter } from './data-converter';
import { tenantTaskQueue } from './workflow-ids';

export interface WorkerSetOptions {
  address: string;
  namespace: string;
  tenants: readonly string[];
  /** Every activity the workflows proxy (activities/ createActivities and createCorrelationActivities provide them). */
  activities: CorrelatorActivities & PlaybookActivities & IncidentRoutingActivities & IncidentActivities;
  logger: Logger;
  /** Cached workflows per tenant Worker; uncached correlators are replayed from history on their next task. */
  maxCachedWorkflows?: number;
  /** Workflow tasks run at once and polled at once per tenant Worker (default: the SDK's, 40 and 10). */
  maxConcurrentWorkflowTaskExecutions?: number;
  workflowTaskPollers?: number;
  /** A bundle of workflows/ built earlier (tests share one per run); default: workflowBundle(). */
  workflowBundle?: WorkflowBundleOption;
}

export interface WorkerSet {
  workers: Worker[];
  /** Resolves when every worker has stopped (after shutdown()). */
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * How long one workflow activation may run in the sandbox (SDK default 5 s). When this timeout fires while workflow
 * code runs in a microtask, V8 stops it half-way and Node aborts the whole process ("async hook stack has become
 * corrupted", nodejs/node#38503): every tenant's correlators and playbooks on this worker die with it. So it is
 * set above the server's workflow task timeout (10 s): an activation that is merely slow (a cold replay on a
 * loaded machine) finishes, or times out on the server as a workflow task of that one workflow, retried and shown
 * in its history. Vigil's own workflows bound their work per task far below it (workflows/correlator/task-budget.ts);
 * only a workflow that never yields reaches it.
 * SDK 1.24 (pinned) reads it from the options it is given but leaves it out of the WorkerOptions type ("not
 * exposed at the moment", worker-options.d.ts); test/temporal/worker-options.test.ts checks that it is applied.
 */
export const ISOLATE_EXECUTION_TIMEOUT = '30s';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundles workflows/ once per process (webpack, a few seconds). */
export function workflowBundle(logger: Logger): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: compiledPath('workflows/index'),
    payloadConverterPath: dataConverter.payloadConverterPath,
    logger: {
      trace: () => undefined,
      debug: () => undefined,
      info: (message, meta) => logger.debug(meta ?? {}, message),
      warn: (message, meta) => logger.warn(meta ?? {}, message),
      error: (message, meta) => logger.error(meta ?? {}, message),
      log: () => undefined,
    },
  });
  return bundle;
}

export async function createWorkerSet(options: WorkerSetOptions): Promise<WorkerSet> {
  const connection = await NativeConnection.connect({ address: options.address });
  const workflows = options.workflowBundle ?? (await workflowBundle(options.logger));
  const workers = await Promise.all(
    options.tenants.map((tenant) =>
      Worker.create({
        connection,
        namespace: options.namespace,
        taskQueue: tenantTaskQueue(tenant),
        workflowBundle: workflows,
        activities: options.activities,
        dataConverter,
        maxCachedWorkflows: options.maxCachedWorkflows ?? 1000,
        ...(options.maxConcurrentWorkflowTaskExecutions !== undefined ? { maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTaskExecutions } : {}),
        // Not `maxConcurrentWorkflowTaskPolls`: SDK 1.24 still types it but ignores it (it reads only the poller behavior).
        ...(options.workflowTaskPollers !== undefined ? { workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: options.workflowTaskPollers } } : {}),
        ...({ isolateExecutionTimeout: ISOLATE_EXECUTION_TIMEOUT } as Partial<WorkerOptions>),
      }),
    ),
  );
  options.logger.info({ taskQueues: options.tenants.map(tenantTaskQueue) }, 'workers ready');
  let running: Promise<void> | undefined;
  return {
    workers,
    run: () => (running ??= Promise.all(workers.map((w) => w.run())).then(() => connection.close())),
    shutdown: async () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
    },
  };
}
