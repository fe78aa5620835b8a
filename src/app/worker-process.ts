/**
 * The worker role: runs correlator and playbook workflows and their activities for every tenant
 * this deployment serves (one task queue each). Scale out by running more of these.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { createActivities } from '../../activities';
import { loadActionSettings } from '../../activities/action-settings';
import { createCorrelationActivities } from '../../activities/correlation-rules';
import { workerTuningOf, type Config } from '../config';
import { loadResponseConfig } from '../response/response-config';
import { connectClient } from '../temporal/client';
import { registerSearchAttributes } from '../temporal/register-search-attributes';
import { startRuleRuntime } from './rule-runtime';
import { createWorkerSet, type WorkerSet } from '../temporal/worker';

export async function startWorkerRole(config: Config, address: string, logger: Logger): Promise<WorkerSet> {
  const tuning = workerTuningOf(config);
  const responsesDir = path.join(config.VIGIL_RULES_DIR, 'responses');
  const { config: responses, errors } = loadResponseConfig(responsesDir);
  for (const err of errors) logger.error({ code: err.code, location: err.location }, err.message);
  const client = await connectClient(address, config.TEMPORAL_NAMESPACE);
  // Idempotent: lets a fresh cluster (docker-compose, a new namespace) work without a manual step.
  await registerSearchAttributes(client.connection, config.TEMPORAL_NAMESPACE, logger);
  const runtime = await startRuleRuntime(config, logger.child({ role: 'rules' }));
  const activities = {
    ...createCorrelationActivities(runtime.routing, responses.bindings),
    ...createActivities({
      logger: logger.child({ role: 'activities' }),
      dryRun: config.VIGIL_DRY_RUN,
      responses,
      client,
      webhookUrl: config.VIGIL_WEBHOOK_URL,
      incidents: { window: config.VIGIL_INCIDENT_WINDOW },
      // Slack, Kubernetes, AWS IAM, tickets, webhook signing: VIGIL_* settings validated by their own schema.
      ...loadActionSettings(),
    }),
  };
  const workers = await createWorkerSet({
    address,
    namespace: config.TEMPORAL_NAMESPACE,
    tenants: config.VIGIL_TENANTS,
    activities,
    logger: logger.child({ role: 'worker' }),
    ...tuning,
  });
  return {
    ...workers,
    shutdown: async () => {
      await workers.shutdown();
      runtime.close();
    },
  };
}
