/**
 * Tenant ids: one schema for every place that names a tenant (VIGIL_TENANTS, approver scopes in
 * rules/responses). They end up in MQTT topics, workflow ids and visibility queries, so the alphabet is
 * closed: no wildcard, quote or separator can come in through a tenant id.
 */
import { z } from 'zod';

export const TenantIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'tenant ids are lowercase [a-z0-9_-], 1-63 chars');
