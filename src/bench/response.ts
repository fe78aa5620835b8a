/**
 * Response orchestration figures on the embedded dev server (in-memory SQLite, one history shard):
 * how fast playbook runs start and reach "awaiting approval", the round trip of an approval through
 * the validated `decide` update, and approved → completed throughput with a dry-run containment.
 * Plus the per-request cost of the Slack signature check chatops computes (IAM requests are signed by
 * the AWS SDK). No correlator runs, so each playbook's report-back signal fails fast and is recorded (a
 * small, constant extra task).
 */
import { performance } from 'node:perf_hooks';
import { Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../../activities';
import { slackSignature, verifySlackSignature } from '../chatops/slack-signature';
import type { Alert } from '../model/alert';
import type { PlaybookBinding } from '../model/playbook';
import { PlaybookParamsSchema, type PlaybookSpec } from '../response/playbook-spec';
import { connectClient } from '../temporal/client';
import { dataConverter } from '../temporal/data-converter';
import { startDevServer } from '../temporal/dev-server';
import { workflowBundle } from '../temporal/worker';
import { decideUpdate, playbookStatusQuery } from '../contracts/playbook/messages';
import type { playbookWorkflow } from '../../workflows/playbook/playbook';

const PLAYBOOKS = 200;
const CONCURRENCY = 20;
const SIGNATURES = 20_000;
const SEQUENTIAL_APPROVALS = 20;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `fn` over 0..n-1 with at most `limit` in flight. */
async function pool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < n) await fn(next++);
  }));
}

function benchAlert(i: number): Alert {
  return {
    id: `bench-alert-${i}`,
    kind: 'detection',
    tenant: 'bench',
    entity: { type: 'pod', id: `bench/pod-${i}` },
    entities: [{ type: 'pod', id: `bench/pod-${i}` }],
    rule: { id: 'bench-rule', title: 'Bench rule', level: 'high', tags: [] },
    group: {},
    events: [],
    eventCount: 1,
    firstSeen: 0,
    lastSeen: 0,
    raisedAt: 0,
    rulesetVersion: 'bench',
    correlatorWorkflowId: `bench-correlator-${i}`,
    status: 'open',
  };
}

function measureSignatures(): Record<string, number> {
  const body = 'payload=' + encodeURIComponent(JSON.stringify({ type: 'block_actions', actions: [{ action_id: 'vigil_approve', value: 'playbook:x:y' }] }));
  const signature = slackSignature('bench-secret', '1700000000', body);
  const start = performance.now();
  for (let i = 0; i < SIGNATURES; i++) verifySlackSignature('bench-secret', { timestamp: '1700000000', signature }, body, 1_700_000_000);
  const slack = SIGNATURES / ((performance.now() - start) / 1000);
  return { slack_signature_checks_per_s: Math.round(slack) };
}

export async function run(logger: Logger): Promise<Record<string, number | string>> {
  const signatures = measureSignatures();
  const server = await startDevServer({ logger, namespace: 'default' });
  const client = await connectClient(server.address, server.namespace);
  const taskQueue = 'bench-playbooks';
  const spec: PlaybookSpec = {
    ...PlaybookParamsSchema.parse({ notify: [], containment: [{ action: 'k8s.isolatePod' }], dryRun: true }),
    approval: { groups: [{ name: 'bench', members: [{ name: 'approver', aliases: [] }] }], quorum: 1, timeout: '1h', default: 'deny' },
  };
  const binding: PlaybookBinding = { playbook: 'bench', params: spec };
  const worker = await Worker.create({
    connection: server.env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(logger),
    dataConverter,
    activities: createActivities({ logger, dryRun: true, responses: { approvers: new Map(), groups: new Map(), operators: new Map(), bindings: [] } }),
  });
  try {
    return await worker.runUntil(async () => {
      const ids = Array.from({ length: PLAYBOOKS }, (_, i) => `playbook:bench:${benchAlert(i).id}`);
      const t0 = performance.now();
      await pool(PLAYBOOKS, CONCURRENCY, async (i) => {
        const input = { alert: benchAlert(i), binding, correlatorWorkflowId: benchAlert(i).correlatorWorkflowId };
        await client.workflow.start<typeof playbookWorkflow>('playbookWorkflow', { workflowId: ids[i]!, taskQueue, args: [input] });
      });
      const started = performance.now();
      await pool(PLAYBOOKS, CONCURRENCY, async (i) => {
        const handle = client.workflow.getHandle(ids[i]!);
        while ((await handle.query(playbookStatusQuery)).state !== 'awaiting_approval') await new Promise((r) => setTimeout(r, 10));
      });
      const awaitingAll = performance.now();
      const approve = async (i: number, into: number[]) => {
        const u0 = performance.now();
        await client.workflow.getHandle(ids[i]!).executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'approver', via: 'http' }] });
        into.push(performance.now() - u0);
      };
      // One approver at a time (what a person sees), then the rest CONCURRENCY at a time (a busy shard).
      const aloneMs: number[] = [];
      for (let i = 0; i < SEQUENTIAL_APPROVALS; i++) await approve(i, aloneMs);
      const concurrentStart = performance.now();
      const updateMs: number[] = [];
      await pool(PLAYBOOKS - SEQUENTIAL_APPROVALS, CONCURRENCY, (i) => approve(SEQUENTIAL_APPROVALS + i, updateMs));
      const approved = performance.now();
      await pool(PLAYBOOKS, CONCURRENCY, async (i) => {
        await client.workflow.getHandle(ids[i]!).result();
      });
      const completed = performance.now();
      updateMs.sort((a, b) => a - b);
      aloneMs.sort((a, b) => a - b);
      return {
        playbooks: PLAYBOOKS,
        client_concurrency: CONCURRENCY,
        starts_per_s: Math.round(PLAYBOOKS / ((started - t0) / 1000)),
        start_to_all_awaiting_approval_s: Number(((awaitingAll - t0) / 1000).toFixed(2)),
        approval_update_ms_p50_alone: Number(percentile(aloneMs, 50).toFixed(1)),
        approval_update_ms_p50_concurrent: Number(percentile(updateMs, 50).toFixed(1)),
        approval_update_ms_p95_concurrent: Number(percentile(updateMs, 95).toFixed(1)),
        approvals_per_s_concurrent: Math.round((PLAYBOOKS - SEQUENTIAL_APPROVALS) / ((approved - concurrentStart) / 1000)),
        approved_to_completed_per_s: Math.round(PLAYBOOKS / ((completed - approved) / 1000)),
        end_to_end_playbooks_per_s: Number((PLAYBOOKS / ((completed - t0) / 1000)).toFixed(1)),
        ...signatures,
      };
    });
  } finally {
    await client.connection.close();
    await server.stop();
  }
}
