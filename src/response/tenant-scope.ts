/**
 * Which tenants a caller serves. Scopes are set per approver identity in rules/responses (`tenants`),
 * and API tokens, Slack users and CLI operators take the scope of the identity they map to. `'*'`,
 * written alone, serves every tenant (a central SOC); there is no default, so an identity is never
 * scoped to everything by omission.
 */
import { z } from 'zod';
import { TenantIdSchema } from '../model/tenant';

export type TenantScope = '*' | readonly string[];

export const TenantScopeSchema = z
  .array(z.union([z.literal('*'), TenantIdSchema]))
  .min(1, "list the tenants this identity serves, or ['*'] for every tenant")
  .refine((tenants) => !tenants.includes('*') || tenants.length === 1, "'*' stands alone: it already means every tenant")
  .transform((tenants): TenantScope => (tenants.includes('*') ? '*' : tenants));

/** Whether a run of `tenant` is visible to the scope; a run without a tenant is visible to nobody but '*'. */
export function inScope(scope: TenantScope, tenant: string | undefined): boolean {
  return scope === '*' || (tenant !== undefined && scope.includes(tenant));
}

export function describeScope(scope: TenantScope): string {
  return scope === '*' ? 'every tenant' : `tenant${scope.length === 1 ? '' : 's'} ${scope.join(', ')}`;
}
