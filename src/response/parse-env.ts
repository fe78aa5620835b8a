/**
 * Validates the environment variables a zod object schema names (empty strings count as unset); the
 * first problem becomes VGL_CONFIG_INVALID naming the variable. Shared by the action (activities/) and chatops
 * settings, which keep their variables next to the code that uses them.
 */
import type { z } from 'zod';
import { VigilError } from '../error-codes';

export function parseEnv<Shape extends z.ZodRawShape>(schema: z.ZodObject<Shape>, env: NodeJS.ProcessEnv): z.infer<z.ZodObject<Shape>> {
  const input = Object.fromEntries(Object.keys(schema.shape).flatMap((key) => (env[key] ? [[key, env[key]]] : [])));
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new VigilError('VGL_CONFIG_INVALID', issue.message, { field: String(issue.path[0]) });
  }
  return parsed.data;
}
