/**
 * Entities are the things a correlator is kept for: one workflow per tenant + entity.
 * `group` is the generic keyed group used when a correlation groups by a field that is not an entity.
 */
import { z } from 'zod';

export const entityTypes = ['host', 'user', 'pod', 'ip', 'account', 'group'] as const;
export const EntityTypeSchema = z.enum(entityTypes);
export type EntityType = z.infer<typeof EntityTypeSchema>;

export const EntityRefSchema = z.object({ type: EntityTypeSchema, id: z.string().min(1).max(512) });
export type EntityRef = z.infer<typeof EntityRefSchema>;
