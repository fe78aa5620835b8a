/**
 * Workflow task figures read from histories (the server's own timestamps, so they include nothing of the bench's
 * polling): how many workflow tasks completed in a time window and how long each took from WorkflowTaskStarted to
 * WorkflowTaskCompleted, i.e. the worker's time on the task (activation, local activities, commands) plus one
 * round trip. Histories are fetched a few at a time, so reading them does not load the server being measured.
 */
import type { Client } from '@temporalio/client';

export interface WorkflowTaskStats {
  /** Tasks completed inside the window. */
  readonly tasks: number;
  /** Started → completed of those tasks, ms, sorted ascending. */
  readonly durationsMs: number[];
}

const FETCHES_IN_FLIGHT = 8;

function epochMs(time: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);
}

/** Tasks of the given workflows (latest run each) completed within [fromMs, toMs]. */
export async function workflowTaskStats(client: Client, workflowIds: readonly string[], fromMs: number, toMs: number): Promise<WorkflowTaskStats> {
  const durationsMs: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: FETCHES_IN_FLIGHT }, async () => {
      while (next < workflowIds.length) {
        const history = await client.workflow.getHandle(workflowIds[next++]!).fetchHistory();
        let started: number | undefined;
        for (const event of history.events ?? []) {
          if (event.workflowTaskStartedEventAttributes) started = epochMs(event.eventTime);
          else if (event.workflowTaskCompletedEventAttributes && started !== undefined) {
            const completed = epochMs(event.eventTime);
            if (completed >= fromMs && completed <= toMs) durationsMs.push(completed - started);
            started = undefined;
          }
        }
      }
    }),
  );
  durationsMs.sort((a, b) => a - b);
  return { tasks: durationsMs.length, durationsMs };
}
