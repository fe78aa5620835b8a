/**
 * Chatops server settings from the environment, validated with zod. Secrets stay out of
 * rules/responses (which is version-controlled): the Slack signing secret and API tokens come from env,
 * and both go through the placeholder check every secret setting shares.
 *   VIGIL_CHATOPS_HOST (default 127.0.0.1), VIGIL_CHATOPS_PORT (default 8235)
 *   VIGIL_SLACK_SIGNING_SECRET         Slack app signing secret
 *   VIGIL_SLACK_RESPONSE_ORIGINS       where a click's response_url may point (default https://hooks.slack.com)
 *   VIGIL_API_TOKENS                   comma-separated identity=token pairs, e.g. "alice=<64 hex>,bob=…"
 */
import { z } from 'zod';
import { SecretSchema } from '../auth/secret-setting';
import { parseEnv } from '../response/parse-env';

/** `scheme://host[:port]` and nothing else: an origin compared exactly, never a pattern. */
const OriginSchema = z
  .string()
  .trim()
  .refine((text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === text.replace(/\/$/, '');
    } catch {
      return false;
    }
  }, 'each entry is an origin such as https://hooks.slack.com (scheme, host and optional port; no path, no wildcard)')
  .transform((text) => new URL(text).origin);

const commaList = (text: string): string[] => text.split(',').map((item) => item.trim()).filter(Boolean);

export const ChatopsSettingsSchema = z.object({
  VIGIL_CHATOPS_HOST: z.string().min(1).default('127.0.0.1'),
  VIGIL_CHATOPS_PORT: z.coerce.number().int().min(0).max(65535).default(8235),
  VIGIL_SLACK_SIGNING_SECRET: SecretSchema.optional(),
  VIGIL_SLACK_RESPONSE_ORIGINS: z.string().default('https://hooks.slack.com').transform(commaList).pipe(z.array(OriginSchema).min(1)),
  VIGIL_API_TOKENS: z
    .string()
    .default('')
    .transform(commaList)
    .pipe(
      z.array(
        z
          .string()
          .regex(/^[^=\s]+=\S+$/, 'each entry is identity=token')
          // Split at the first '=' only: base64 tokens may contain '='.
          .transform((pair) => ({ identity: pair.slice(0, pair.indexOf('=')), token: pair.slice(pair.indexOf('=') + 1) }))
          .pipe(z.object({ identity: z.string(), token: SecretSchema })),
      ),
    ),
});

export interface ChatopsSettings {
  host: string;
  port: number;
  slackSigningSecret?: string;
  /** Origins a Slack click's response_url may point to; anything else is refused before it is used. */
  slackResponseOrigins: string[];
  /** token → identity */
  apiTokens: Map<string, string>;
}

export function loadChatopsSettings(env: NodeJS.ProcessEnv = process.env): ChatopsSettings {
  const settings = parseEnv(ChatopsSettingsSchema, env);
  return {
    host: settings.VIGIL_CHATOPS_HOST,
    port: settings.VIGIL_CHATOPS_PORT,
    slackResponseOrigins: settings.VIGIL_SLACK_RESPONSE_ORIGINS,
    apiTokens: new Map(settings.VIGIL_API_TOKENS.map(({ identity, token }) => [token, identity])),
    ...(settings.VIGIL_SLACK_SIGNING_SECRET ? { slackSigningSecret: settings.VIGIL_SLACK_SIGNING_SECRET } : {}),
  };
}
