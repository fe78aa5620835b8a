/**
 * The IPC channel between `vigil dev` (or `vigil scenario run`'s embedded stack) and the `vigil worker` / `vigil
 * ingest` processes it starts (role-process.ts): one message from the child once its role runs, and the channel's
 * end telling the child its parent is gone. A role run by hand has no channel: both are no-ops there.
 */
import { z } from 'zod';

/** Sent once the role runs: the worker polls its task queues, the ingest holds its subscription. */
export const RoleReadySchema = z.object({
  type: z.literal('vigil-role-ready'),
  role: z.string().min(1),
  pid: z.number().int().positive(),
  /** The process' own `/metrics` endpoint, when it serves one (VIGIL_METRICS_LISTEN). */
  metricsUrl: z.string().url().optional(),
  /** The Temporal SDK's exporter, when installed (VIGIL_TEMPORAL_METRICS_LISTEN). */
  temporalMetricsUrl: z.string().url().optional(),
});

export type RoleReady = z.infer<typeof RoleReadySchema>;

/** Tells the parent, if any, that this role runs. */
export function announceReady(ready: Omit<RoleReady, 'type' | 'pid'>): void {
  if (!process.send) return;
  process.send({ type: 'vigil-role-ready', pid: process.pid, ...ready } satisfies RoleReady);
  // The channel alone must not keep the process alive once its role has stopped.
  process.channel?.unref();
}

/**
 * Resolves when the parent's channel closes (the parent exited, even by SIGKILL): a child of a stack must not outlive
 * it. Never resolves in a process started without a channel.
 */
export function parentGone(): Promise<string> {
  return new Promise((resolve) => {
    if (process.connected) process.once('disconnect', () => resolve('parent exited'));
  });
}
