/**
 * Where response actions reach external systems, from the environment (zod-validated). The worker
 * spreads the result into createActivities' deps. A system left unconfigured makes its actions fail
 * with VGL_ACTION_NOT_CONFIGURED, unless they run in dry-run.
 *   VIGIL_WEBHOOK_SECRET        HMAC secret for generic webhooks and tickets (X-Vigil-Signature)
 *   VIGIL_TICKET_WEBHOOK_URL    ticket intake webhook
 *   VIGIL_SLACK_API_URL         Slack Web API base (default https://slack.com/api)
 *   VIGIL_SLACK_BOT_TOKEN, VIGIL_SLACK_CHANNEL, VIGIL_SLACK_WEBHOOK_URL
 *   VIGIL_K8S_API_URL, VIGIL_K8S_TOKEN (a self-signed API server CA goes in NODE_EXTRA_CA_CERTS)
 *   VIGIL_AWS_IAM_ENDPOINT (default https://iam.amazonaws.com), VIGIL_AWS_REGION (default us-east-1),
 *   VIGIL_AWS_ACCESS_KEY_ID, VIGIL_AWS_SECRET_ACCESS_KEY, VIGIL_AWS_SESSION_TOKEN
 */
import { z } from 'zod';
import type { ActivityDeps } from '../../activities';
import { SecretSchema } from '../auth/secret-setting';
import { VigilError } from '../error-codes';
import { parseEnv } from './parse-env';

const url = z.string().url();

export const ActionSettingsSchema = z.object({
  VIGIL_WEBHOOK_SECRET: SecretSchema.optional(),
  VIGIL_TICKET_WEBHOOK_URL: url.optional(),
  VIGIL_SLACK_API_URL: url.default('https://slack.com/api'),
  VIGIL_SLACK_BOT_TOKEN: z.string().min(1).optional(),
  VIGIL_SLACK_CHANNEL: z.string().min(1).optional(),
  VIGIL_SLACK_WEBHOOK_URL: url.optional(),
  VIGIL_K8S_API_URL: url.optional(),
  VIGIL_K8S_TOKEN: z.string().min(1).optional(),
  VIGIL_AWS_IAM_ENDPOINT: url.default('https://iam.amazonaws.com'),
  VIGIL_AWS_REGION: z.string().min(1).default('us-east-1'),
  VIGIL_AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  VIGIL_AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  VIGIL_AWS_SESSION_TOKEN: z.string().min(1).optional(),
});

export type ActionSettings = Pick<ActivityDeps, 'webhookSecret' | 'ticketWebhookUrl' | 'slack' | 'kubernetes' | 'awsIam'>;

export function loadActionSettings(env: NodeJS.ProcessEnv = process.env): ActionSettings {
  const s = parseEnv(ActionSettingsSchema, env);
  const settings: ActionSettings = {};
  if (s.VIGIL_WEBHOOK_SECRET) settings.webhookSecret = s.VIGIL_WEBHOOK_SECRET;
  if (s.VIGIL_TICKET_WEBHOOK_URL) settings.ticketWebhookUrl = s.VIGIL_TICKET_WEBHOOK_URL;
  if (s.VIGIL_SLACK_BOT_TOKEN || s.VIGIL_SLACK_WEBHOOK_URL) {
    settings.slack = {
      apiUrl: s.VIGIL_SLACK_API_URL.replace(/\/$/, ''),
      ...(s.VIGIL_SLACK_BOT_TOKEN ? { botToken: s.VIGIL_SLACK_BOT_TOKEN } : {}),
      ...(s.VIGIL_SLACK_CHANNEL ? { channel: s.VIGIL_SLACK_CHANNEL } : {}),
      ...(s.VIGIL_SLACK_WEBHOOK_URL ? { incomingWebhookUrl: s.VIGIL_SLACK_WEBHOOK_URL } : {}),
    };
  }
  if (s.VIGIL_K8S_API_URL || s.VIGIL_K8S_TOKEN) {
    if (!s.VIGIL_K8S_API_URL || !s.VIGIL_K8S_TOKEN) throw new VigilError('VGL_CONFIG_INVALID', 'set both VIGIL_K8S_API_URL and VIGIL_K8S_TOKEN', { field: 'VIGIL_K8S_TOKEN' });
    settings.kubernetes = { apiServerUrl: s.VIGIL_K8S_API_URL.replace(/\/$/, ''), token: s.VIGIL_K8S_TOKEN };
  }
  if (s.VIGIL_AWS_ACCESS_KEY_ID || s.VIGIL_AWS_SECRET_ACCESS_KEY) {
    if (!s.VIGIL_AWS_ACCESS_KEY_ID || !s.VIGIL_AWS_SECRET_ACCESS_KEY) throw new VigilError('VGL_CONFIG_INVALID', 'set both VIGIL_AWS_ACCESS_KEY_ID and VIGIL_AWS_SECRET_ACCESS_KEY', { field: 'VIGIL_AWS_SECRET_ACCESS_KEY' });
    settings.awsIam = {
      endpoint: s.VIGIL_AWS_IAM_ENDPOINT,
      region: s.VIGIL_AWS_REGION,
      credentials: { accessKeyId: s.VIGIL_AWS_ACCESS_KEY_ID, secretAccessKey: s.VIGIL_AWS_SECRET_ACCESS_KEY, ...(s.VIGIL_AWS_SESSION_TOKEN ? { sessionToken: s.VIGIL_AWS_SESSION_TOKEN } : {}) },
    };
  }
  return settings;
}
