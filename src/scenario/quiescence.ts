/**
 * When a scenario run's pipeline is quiet, so its outcome can be read: (1) ingest acknowledged every message the run
 * published (ingest-progress.ts), so every signal it caused is in Temporal; then (2) the tenant's running correlators,
 * its incident router and running incidents, and the playbook runs started since the run began have no workflow task,
 * no activity and no queued detections pending (a correlator between the slices of a burst waits on a timer describe
 * does not show), and (3) two consecutive looks at them, through describe (strongly consistent, unlike visibility),
 * found the same workflows with the same history lengths: nothing happened in between, including a child start or an
 * external signal in flight (a correlator routing an alert runs an activity: busy until answered).
 * Playbooks waiting for an approver are quiet (a timer, nothing pending). The poll interval only paces the looks;
 * the answer comes from the state, and a pipeline that never settles ends in VGL_SCENARIO_TIMEOUT naming what is busy.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { entityStateQuery } from '../contracts/correlator/messages';
import { VigilError } from '../error-codes';
import { incidentRouterWorkflowId } from '../temporal/workflow-ids';
import type { IngestCounts, IngestProgress } from './ingest-progress';

export interface QuietOptions {
  client: Client;
  tenant: string;
  /** Ingest's counts before the run published anything. */
  baseline: IngestCounts;
  /** MQTT messages the run published. */
  published: number;
  progress: IngestProgress;
  /** When the run began: playbook runs started before it are not the run's. */
  since: Date;
  timeoutMs: number;
  pollMs?: number;
  logger: Logger;
}

/** The workflows the last look saw, by kind, and what ingest dead-lettered during the run. */
export interface QuietPipeline {
  deadLetteredEvents: number;
  correlators: string[];
  playbooks: Array<{ workflowId: string; runId: string }>;
}

interface Look {
  pipeline: Omit<QuietPipeline, 'deadLetteredEvents'>;
  /** `id/run:historyLength`, sorted: equal fingerprints mean no workflow moved in between. */
  fingerprint: string;
  busy: string[];
}

export async function waitUntilQuiet(options: QuietOptions): Promise<QuietPipeline> {
  const deadline = Date.now() + options.timeoutMs;
  const pollMs = options.pollMs ?? 250;
  const timedOut = (what: string): VigilError =>
    new VigilError('VGL_SCENARIO_TIMEOUT', `the pipeline was not quiet after ${Math.round(options.timeoutMs / 1000)} s: ${what}`, { field: '--timeout' });

  let deadLetteredEvents: number;
  for (;;) {
    const counts = await options.progress();
    const handedOn = counts.acknowledged - options.baseline.acknowledged;
    deadLetteredEvents = counts.deadLetteredEvents - options.baseline.deadLetteredEvents;
    if (handedOn >= options.published && counts.unacknowledged === 0) break;
    if (Date.now() > deadline) throw timedOut(`ingest acknowledged ${handedOn} of the ${options.published} messages published (${counts.unacknowledged} in its ack window)`);
    await sleep(pollMs);
  }
  options.logger.debug({ published: options.published }, 'ingest acknowledged every published message');

  let previous: Look | undefined;
  for (;;) {
    const look = await lookAtWorkflows(options);
    if (look.busy.length === 0 && previous !== undefined && previous.busy.length === 0 && look.fingerprint === previous.fingerprint) return { ...look.pipeline, deadLetteredEvents };
    if (Date.now() > deadline) throw timedOut(look.busy.length > 0 ? `still busy: ${look.busy.slice(0, 5).join(', ')}` : 'workflows kept changing');
    previous = look;
    await sleep(pollMs);
  }
}

async function lookAtWorkflows({ client, tenant, since }: QuietOptions): Promise<Look> {
  const quoted = tenant.replace(/'/g, '');
  const running = async (type: string): Promise<string[]> => {
    const ids: string[] = [];
    for await (const wf of client.workflow.list({ query: `WorkflowType = '${type}' AND TenantId = '${quoted}' AND ExecutionStatus = 'Running'` })) ids.push(wf.workflowId);
    return ids;
  };
  const correlators = await running('correlatorWorkflow');
  const incidents = new Set(await running('incidentWorkflow'));
  const playbooks = new Map<string, { workflowId: string; runId: string }>();
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'playbookWorkflow' AND TenantId = '${quoted}' AND StartTime >= '${since.toISOString()}'` })) {
    playbooks.set(`${wf.workflowId}/${wf.runId}`, { workflowId: wf.workflowId, runId: wf.runId });
  }
  const lengths: string[] = [];
  const busy: string[] = [];
  /** `onChild`: a started child the describe names (visibility may not list it yet). True when it found the workflow busy. */
  const describe = async (workflowId: string, runId: string | undefined, onChild: (workflowId: string, runId: string) => void): Promise<boolean> => {
    const before = busy.length;
    let d;
    try {
      d = await client.workflow.getHandle(workflowId, runId).describe();
    } catch (err) {
      // Only the router is described by id without a listing: not started (no alert yet) is quiet.
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
    lengths.push(`${workflowId}/${d.runId}:${d.historyLength}`);
    if (d.raw.pendingWorkflowTask) busy.push(`${workflowId} (workflow task)`);
    if ((d.raw.pendingActivities ?? []).length > 0) busy.push(`${workflowId} (activity ${d.raw.pendingActivities![0]!.activityType?.name ?? '?'})`);
    for (const child of d.raw.pendingChildren ?? []) {
      // Initiated and not started yet: the start is in flight.
      if (!child.runId) busy.push(`${workflowId} (starting ${child.workflowId ?? 'a child'})`);
      else if (child.workflowId) onChild(child.workflowId, child.runId);
    }
    return busy.length > before;
  };
  // A correlator's children are playbook runs, the router's are incidents; an incident's playbooks start as
  // top-level workflows (listed above).
  const notePlaybook = (workflowId: string, runId: string): void => {
    if (!playbooks.has(`${workflowId}/${runId}`)) playbooks.set(`${workflowId}/${runId}`, { workflowId, runId });
  };
  for (const id of correlators) {
    if (await describe(id, undefined, notePlaybook)) continue;
    // Between the slices of a burst a correlator waits on a 1 ms timer, which describe does not show: its own count
    // of queued detections does.
    const view = await client.workflow.getHandle(id).query(entityStateQuery);
    if (view.queuedDetections > 0) busy.push(`${id} (${view.queuedDetections} detections queued)`);
  }
  // By id, not listed: describe is consistent, and the router may have completed (nothing left in its window).
  await describe(incidentRouterWorkflowId(tenant), undefined, (workflowId) => incidents.add(workflowId));
  for (const id of incidents) await describe(id, undefined, notePlaybook);
  for (const run of [...playbooks.values()]) await describe(run.workflowId, run.runId, notePlaybook);
  return { pipeline: { correlators, playbooks: [...playbooks.values()] }, fingerprint: lengths.sort().join('\n'), busy };
}
