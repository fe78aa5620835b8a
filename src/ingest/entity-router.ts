/**
 * Routes detections to entity correlators: groups them per (tenant, entity), and delivers each group
 * with one signal-with-start to `entity:{tenant}:{type}:{id}` on the tenant's task queue. Resolves
 * only when Temporal has accepted every signal, so the caller can acknowledge the MQTT message
 * (at-least-once). Batch ids are derived from the message, so a redelivered message produces the
 * same batch ids and the correlator ignores the repeat.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Detection } from '../model/detection';
import type { EntityRef } from '../model/entity';
import { EntityId, EntityType, TenantId } from '../temporal/search-attributes';
import { correlatorWorkflowId, tenantTaskQueue } from '../temporal/workflow-ids';
import type { CorrelatorInput } from '../../workflows/correlator/correlator-input';
import { detectionBatchSignal } from '../../workflows/correlator/messages';

export interface RouterOptions {
  /** Upper bound on detections per signal; keeps each signal well under the 2 MiB payload limit. */
  maxDetectionsPerSignal?: number;
  /** Concurrent signal-with-start calls per route() call. */
  concurrency?: number;
}

export interface RouterStats {
  signals: number;
  detections: number;
}

export class EntityRouter {
  readonly stats: RouterStats = { signals: 0, detections: 0 };
  private readonly maxPerSignal: number;
  private readonly concurrency: number;

  constructor(
    private readonly client: Client,
    private readonly logger: Logger,
    options: RouterOptions = {},
  ) {
    this.maxPerSignal = options.maxDetectionsPerSignal ?? 200;
    this.concurrency = options.concurrency ?? 16;
  }

  /**
   * @param batchKey identifies the input the detections came from (e.g. a hash of the MQTT message);
   *   it must be the same on redelivery.
   */
  async route(tenant: string, detections: Detection[], batchKey: string): Promise<void> {
    const groups = new Map<string, { entity: EntityRef; detections: Detection[] }>();
    for (const d of detections) {
      for (const entity of d.entities) {
        const id = correlatorWorkflowId(tenant, entity);
        let group = groups.get(id);
        if (!group) groups.set(id, (group = { entity, detections: [] }));
        group.detections.push(d);
      }
    }
    const work: Array<() => Promise<void>> = [];
    for (const [workflowId, { entity, detections: list }] of groups) {
      for (let i = 0; i < list.length; i += this.maxPerSignal) {
        const chunk = list.slice(i, i + this.maxPerSignal);
        const batchId = `${batchKey}:${i / this.maxPerSignal}`;
        work.push(() => this.signal(tenant, entity, workflowId, batchId, chunk));
      }
    }
    await runLimited(work, this.concurrency);
  }

  private async signal(tenant: string, entity: EntityRef, workflowId: string, batchId: string, detections: Detection[]): Promise<void> {
    const input: CorrelatorInput = { tenant, entity };
    await this.client.workflow.signalWithStart('correlatorWorkflow', {
      workflowId,
      taskQueue: tenantTaskQueue(tenant),
      args: [input],
      signal: detectionBatchSignal,
      signalArgs: [{ batchId, detections }],
      typedSearchAttributes: [
        { key: TenantId, value: tenant },
        { key: EntityType, value: entity.type },
        { key: EntityId, value: entity.id },
      ],
    });
    this.stats.signals += 1;
    this.stats.detections += detections.length;
    this.logger.debug({ workflowId, batchId, detections: detections.length }, 'routed detections');
  }
}

/** Runs tasks with at most `limit` in flight; rejects with the first failure after all settle. */
async function runLimited(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const lane = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  if (errors.length > 0) throw errors[0];
}
