/**
 * A batch's own tenant claim, checked against its topic. The topic's tenant is the authenticated one: the
 * broker lets only that tenant's collector identity publish there (mqtt/broker-policy.ts). A batch that
 * claims another tenant is misrouted or forged, so it is dead-lettered to the topic's tenant (whose
 * operators see it) as VGL_DLQ_TENANT and acknowledged, never accepted under either tenant.
 */
import type { DeadLetterPublisher } from './dead-letter';

export interface TenantClaimContext {
  deadLetters: DeadLetterPublisher;
  /** The MQTT topic the batch arrived on, and the tenant it names. */
  topic: string;
  topicTenant: string;
  receivedAt: number;
  payload: Buffer;
}

/** True when the batch claims a different tenant and has been dead-lettered: the caller stops there. */
export async function rejectForeignTenantClaim(batch: { tenant?: string | undefined }, context: TenantClaimContext): Promise<boolean> {
  if (batch.tenant === undefined || batch.tenant === context.topicTenant) return false;
  await context.deadLetters.publish(context.topicTenant, {
    code: 'VGL_DLQ_TENANT',
    reason: `batch claims tenant '${batch.tenant}' but arrived on ${context.topic}, where only tenant '${context.topicTenant}' may publish`,
    field: 'tenant',
    topic: context.topic,
    receivedAt: context.receivedAt,
    payloadBase64: context.payload.toString('base64'),
  });
  return true;
}
