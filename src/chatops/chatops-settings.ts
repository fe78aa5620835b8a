/**
 * Chatops server settings from the environment, validated with zod. Secrets stay out of
 * rules/responses (which is version-controlled): the Slack signing secret and API tokens come from env.
 *   VIGIL_CHATOPS_HOST (default 127.0.0.1), VIGIL_CHATOPS_PORT (default 8235)
 *   VIGIL_SLACK_SIGNING_SECRET         Slack app signing secret
 *   VIGIL_API_TOKENS                   comma-separated identity=token pairs, e.g. "alice=s3cr3t,bob=…"
 */
import { z } from 'zod';
import { parseEnv } from '../response/parse-env';

export const ChatopsSettingsSchema = z.object({
  VIGIL_CHATOPS_HOST: z.string().min(1).default('127.0.0.1'),
  VIGIL_CHATOPS_PORT: z.coerce.number().int().min(0).max(65535).default(8235),
  VIGIL_SLACK_SIGNING_SECRET: z.string().min(16).optional(),
  VIGIL_API_TOKENS: z
    .string()
    .default('')
    .transform((text) => text.split(',').map((pair) => pair.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[^=\s]+=\S{16,}$/, 'each entry is identity=token with a token of at least 16 characters'))),
});

export interface ChatopsSettings {
  host: string;
  port: number;
  slackSigningSecret?: string;
  /** token → identity */
  apiTokens: Map<string, string>;
}

export function loadChatopsSettings(env: NodeJS.ProcessEnv = process.env): ChatopsSettings {
  const settings = parseEnv(ChatopsSettingsSchema, env);
  const apiTokens = new Map<string, string>();
  for (const pair of settings.VIGIL_API_TOKENS) {
    // Split at the first '=' only: base64 tokens may contain '='.
    const at = pair.indexOf('=');
    apiTokens.set(pair.slice(at + 1), pair.slice(0, at));
  }
  return {
    host: settings.VIGIL_CHATOPS_HOST,
    port: settings.VIGIL_CHATOPS_PORT,
    apiTokens,
    ...(settings.VIGIL_SLACK_SIGNING_SECRET ? { slackSigningSecret: settings.VIGIL_SLACK_SIGNING_SECRET } : {}),
  };
}
