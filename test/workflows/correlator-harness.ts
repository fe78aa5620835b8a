/**
 * Plumbing for correlator tests on a real Temporal dev server: an in-process worker set (createWorkerSet
 * with the real activities, as `vigil worker` builds it) over a throw-away rules folder holding
 * test-rules.ts, a client, and helpers to start a correlator with chosen settings and to signal batches.
 * `npm run build` must have run: workers load the compiled workflows.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { IllegalStateError } from '@temporalio/common';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import { createCorrelationActivities } from '../../activities/correlation-rules';
import { startRuleRuntime, type RuleRuntime } from '../../src/app/rule-runtime';
import type { Detection } from '../../src/model/detection';
import type { EntityRef } from '../../src/model/entity';
import { loadResponseConfig } from '../../src/response/response-config';
import { connectClient } from '../../src/temporal/client';
import { EntityId, EntityType, TenantId } from '../../src/temporal/search-attributes';
import { createWorkerSet, type WorkerSet } from '../../src/temporal/worker';
import { correlatorWorkflowId, tenantTaskQueue } from '../../src/temporal/workflow-ids';
import type { correlatorWorkflow } from '../../workflows/correlator/correlator';
import type { CorrelatorInput, CorrelatorSettings } from '../../src/contracts/correlator/input';
import { detectionBatchSignal, entityStateQuery, type EntityStateView } from '../../src/contracts/correlator/messages';
import { correlatorSummary } from '../../src/contracts/correlator/ui-link';
import { makeRulesDir } from '../helpers/rules-dir';
import { eventually, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { vigilWorkflowBundle } from '../helpers/workflow-bundles';
import { correlationFiles, detection, sigmaFiles, type TestRuleName } from './test-rules';

/**
 * The SDK's own logs (worker state changes) at WARN. Only possible before the process's first Temporal
 * runtime use: a test that starts its own dev server first keeps the SDK default.
 */
export function quietSdkLogs(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch (err) {
    if (!(err instanceof IllegalStateError)) throw err;
  }
}

export interface CorrelatorHarness {
  tenant: string;
  client: Client;
  rules: RuleRuntime;
  /** A detection of this tenant, stamped with the worker's rule set version. */
  det(eventId: string, rule: TestRuleName, host: EntityRef, time: number, user?: string): Detection;
  /** Starts the entity's correlator with `settings` (search attributes as the router sets them). */
  start(entity: EntityRef, settings?: Partial<CorrelatorSettings>): Promise<WorkflowHandle<typeof correlatorWorkflow>>;
  /** Signals one batch, starting the correlator with `settings` if it is not running. */
  send(entity: EntityRef, batchId: string, detections: Detection[], settings?: Partial<CorrelatorSettings>): Promise<void>;
  handle(entity: EntityRef): WorkflowHandle<typeof correlatorWorkflow>;
  state(entity: EntityRef): Promise<EntityStateView>;
  /** Polls the state query until `ready` holds. */
  stateWhen(entity: EntityRef, ready: (view: EntityStateView) => boolean, what: string): Promise<EntityStateView>;
  close(): Promise<void>;
}

export interface CorrelatorHarnessOptions {
  /** Extra rules/responses files (name → YAML) besides the shipped ones, e.g. bindings for test rules. */
  responseFiles?: Record<string, string>;
  /** Changes the throw-away rules folder before the worker loads it (e.g. writes responses/ for the tenant). */
  prepareRules?: (rulesDir: string, tenant: string) => void;
  /** Activity settings instead of the defaults (dry run, no external systems). */
  activities?: Partial<Omit<ActivityDeps, 'logger' | 'client' | 'responses'>>;
  /** The Temporal UI's address for the links alerts and entity cards carry (default: the dev server's usual one). */
  uiBaseUrl?: string;
}

export async function startCorrelatorHarness(prefix: string, address: string, options: CorrelatorHarnessOptions = {}): Promise<CorrelatorHarness> {
  quietSdkLogs();
  const tenant = uniqueTenant(prefix);
  const rulesDir = makeRulesDir(sigmaFiles, correlationFiles);
  for (const [name, text] of Object.entries(options.responseFiles ?? {})) writeFileSync(path.join(rulesDir, 'responses', name), text);
  options.prepareRules?.(rulesDir, tenant);
  const rules = await startRuleRuntime({ VIGIL_RULES_DIR: rulesDir }, testLogger);
  const client = await connectClient(address, 'default');
  const { config: responses } = loadResponseConfig(path.join(rulesDir, 'responses'));
  const workers: WorkerSet = await createWorkerSet({
    address,
    namespace: 'default',
    tenants: [tenant],
    activities: {
      ...createCorrelationActivities(rules.routing, responses.bindings),
      ...createActivities({ logger: testLogger, dryRun: true, ...options.activities, responses, client }),
    },
    logger: testLogger,
    workflowBundle: await vigilWorkflowBundle(),
  });
  const running = workers.run();

  const input = (entity: EntityRef, settings?: Partial<CorrelatorSettings>): CorrelatorInput => ({
    tenant,
    entity,
    settings,
    ...(options.uiBaseUrl ? { uiBaseUrl: options.uiBaseUrl } : {}),
  });
  const startOptions = (entity: EntityRef, settings?: Partial<CorrelatorSettings>) => ({
    workflowId: correlatorWorkflowId(tenant, entity),
    taskQueue: tenantTaskQueue(tenant),
    args: [input(entity, settings)] as [CorrelatorInput],
    staticSummary: correlatorSummary(tenant, entity),
    typedSearchAttributes: [
      { key: TenantId, value: tenant },
      { key: EntityType, value: entity.type },
      { key: EntityId, value: entity.id },
    ],
  });
  const handle = (entity: EntityRef) => client.workflow.getHandle<typeof correlatorWorkflow>(correlatorWorkflowId(tenant, entity));
  const state = (entity: EntityRef) => handle(entity).query(entityStateQuery);

  return {
    tenant,
    client,
    rules,
    det: (eventId, rule, host, time, user) => detection(tenant, rules.ruleSet().version, eventId, rule, host, time, user),
    start: (entity, settings) => client.workflow.start<typeof correlatorWorkflow>('correlatorWorkflow', startOptions(entity, settings)),
    send: async (entity, batchId, detections, settings) => {
      await client.workflow.signalWithStart<typeof correlatorWorkflow, [{ batchId: string; detections: Detection[] }]>('correlatorWorkflow', {
        ...startOptions(entity, settings),
        signal: detectionBatchSignal,
        signalArgs: [{ batchId, detections }],
      });
    },
    handle,
    state,
    stateWhen: (entity, ready, what) =>
      eventually(async () => {
        const view = await state(entity);
        return ready(view) ? view : undefined;
      }, what),
    close: async () => {
      await workers.shutdown();
      await running;
      rules.close();
      await client.connection.close();
    },
  };
}
