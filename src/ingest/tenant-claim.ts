/**
 * A batch's own tenant claim, checked against its topic. The topic's tenant is the authenticated one: the
 * broker lets only that tenant's collector identity publish there (mqtt/broker-policy.ts). A batch that
 * claims another tenant is misrouted or forged, so it is dead-lettered to the topic's tenant (whose
 * operators see it) as VGL_DLQ_TENANT and acknowledged, never accepted under either tenant.
 */

/** Why the batch must be rejected, or undefined when its claim (if any) is the topic's tenant. */
export function foreignTenantClaim(batch: { tenant?: string | undefined }, topic: string, topicTenant: string): { code: 'VGL_DLQ_TENANT'; reason: string; field: string } | undefined {
  if (batch.tenant === undefined || batch.tenant === topicTenant) return undefined;
  return {
    code: 'VGL_DLQ_TENANT',
    reason: `batch claims tenant '${batch.tenant}' but arrived on ${topic}, where only tenant '${topicTenant}' may publish`,
    field: 'tenant',
  };
}
