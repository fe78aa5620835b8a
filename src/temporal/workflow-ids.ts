/**
 * Workflow ids and task queues, derived (never stored) so every sender computes the same ones.
 * Pure string functions: imported by ingest, the CLI and the workflow sandbox alike.
 */
import type { EntityRef } from '../model/entity';

/** One task queue per tenant: workers scale per tenant and a noisy tenant cannot starve the others. */
export function tenantTaskQueue(tenant: string): string {
  return `vigil-${tenant}`;
}

/** `entity:acme:host:web-1` — one correlator per tenant + entity; readable in the Temporal UI. */
export function correlatorWorkflowId(tenant: string, entity: EntityRef): string {
  return `entity:${tenant}:${entity.type}:${entity.id}`;
}

/**
 * One playbook run per (alert, playbook) for playbooks without a containment target (notices, approval only):
 * starting it twice is refused by Temporal, so it is idempotent.
 */
export function playbookWorkflowId(alertId: string, playbook: string): string {
  return `playbook:${playbook}:${alertId}`;
}

/**
 * `playbook:quarantine-pod:acme:k8s.pod:shop/web-7d9f` — one run at a time per (tenant, playbook, target) (target:
 * src/response/containment.ts runTarget): a second alert for the target is attached to the running one instead of
 * asking again. The id is reused by the next run once that one has closed.
 */
export function playbookTargetWorkflowId(tenant: string, playbook: string, target: string): string {
  return `playbook:${playbook}:${tenant}:${target}`;
}

/** `rule-stats:acme` — the tenant's long-lived rule statistics workflow (alerts and verdicts per rule). */
export function ruleStatsWorkflowId(tenant: string): string {
  return `rule-stats:${tenant}`;
}

/** `incidents:acme` — the tenant's incident router: the one place that decides which incident an alert joins. */
export function incidentRouterWorkflowId(tenant: string): string {
  return `incidents:${tenant}`;
}

/** `incident:acme:inc-3f9c…` — one workflow per incident. */
export function incidentWorkflowId(tenant: string, id: string): string {
  return `incident:${tenant}:${id}`;
}
