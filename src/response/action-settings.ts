/**
 * Where response actions reach external systems, from the environment (zod-validated). The worker
 * spreads the result into createActivities' deps. A system left unconfigured makes its actions fail
 * with VGL_ACTION_NOT_CONFIGURED, unless they run in dry-run.
 *   VIGIL_WEBHOOK_SECRET        HMAC secret for generic webhooks and tickets (X-Vigil-Signature)
 *   VIGIL_TICKET_WEBHOOK_URL    ticket intake webhook
 *   VIGIL_SLACK_API_URL         Slack Web API base (default https://slack.com/api)
 *   VIGIL_SLACK_BOT_TOKEN, VIGIL_SLACK_CHANNEL, VIGIL_SLACK_WEBHOOK_URL
 *   VIGIL_K8S_CONFIG            `in-cluster` (the pod's service account) or a kubeconfig path;
 *                               VIGIL_K8S_CONTEXT picks a kubeconfig context (default: its current one)
 *   VIGIL_K8S_API_URL, VIGIL_K8S_TOKEN instead: a static URL and token (private CA: NODE_EXTRA_CA_CERTS)
 *   VIGIL_AWS_CREDENTIALS       `default`: the AWS SDK's credential chain (env, IRSA web identity,
 *                               profiles, container and instance roles); `static`: the keys below
 *   VIGIL_AWS_ACCESS_KEY_ID, VIGIL_AWS_SECRET_ACCESS_KEY, VIGIL_AWS_SESSION_TOKEN (imply `static`)
 *   VIGIL_AWS_REGION (default us-east-1), VIGIL_AWS_IAM_ENDPOINT (default: the SDK's for the region)
 */
import { existsSync } from 'node:fs';
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
  VIGIL_K8S_CONFIG: z.string().min(1).optional(),
  VIGIL_K8S_CONTEXT: z.string().min(1).optional(),
  VIGIL_K8S_API_URL: url.optional(),
  VIGIL_K8S_TOKEN: z.string().min(1).optional(),
  VIGIL_AWS_CREDENTIALS: z.enum(['default', 'static']).optional(),
  VIGIL_AWS_IAM_ENDPOINT: url.optional(),
  VIGIL_AWS_REGION: z.string().min(1).default('us-east-1'),
  VIGIL_AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  VIGIL_AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  VIGIL_AWS_SESSION_TOKEN: z.string().min(1).optional(),
});

export type ActionSettings = Pick<ActivityDeps, 'webhookSecret' | 'ticketWebhookUrl' | 'slack' | 'kubernetes' | 'awsIam'>;

type Parsed = z.infer<typeof ActionSettingsSchema>;
const invalid = (message: string, field: keyof Parsed) => new VigilError('VGL_CONFIG_INVALID', message, { field });

function kubernetesSettings(s: Parsed, env: NodeJS.ProcessEnv): ActionSettings['kubernetes'] {
  if (s.VIGIL_K8S_CONFIG) {
    if (s.VIGIL_K8S_API_URL || s.VIGIL_K8S_TOKEN) throw invalid('set VIGIL_K8S_CONFIG or VIGIL_K8S_API_URL/VIGIL_K8S_TOKEN, not both', 'VIGIL_K8S_CONFIG');
    if (s.VIGIL_K8S_CONFIG === 'in-cluster') {
      if (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT) throw invalid('in-cluster needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT (set in every pod)', 'VIGIL_K8S_CONFIG');
      return { kind: 'in-cluster' };
    }
    if (!existsSync(s.VIGIL_K8S_CONFIG)) throw invalid(`no kubeconfig at ${s.VIGIL_K8S_CONFIG} (or use in-cluster)`, 'VIGIL_K8S_CONFIG');
    return { kind: 'kubeconfig', path: s.VIGIL_K8S_CONFIG, ...(s.VIGIL_K8S_CONTEXT ? { context: s.VIGIL_K8S_CONTEXT } : {}) };
  }
  if (s.VIGIL_K8S_CONTEXT) throw invalid('VIGIL_K8S_CONTEXT needs a kubeconfig in VIGIL_K8S_CONFIG', 'VIGIL_K8S_CONTEXT');
  if (!s.VIGIL_K8S_API_URL && !s.VIGIL_K8S_TOKEN) return undefined;
  if (!s.VIGIL_K8S_API_URL || !s.VIGIL_K8S_TOKEN) throw invalid('set both VIGIL_K8S_API_URL and VIGIL_K8S_TOKEN', 'VIGIL_K8S_TOKEN');
  return { kind: 'token', apiServerUrl: s.VIGIL_K8S_API_URL.replace(/\/$/, ''), token: s.VIGIL_K8S_TOKEN };
}

function awsIamSettings(s: Parsed): ActionSettings['awsIam'] {
  const keys = s.VIGIL_AWS_ACCESS_KEY_ID || s.VIGIL_AWS_SECRET_ACCESS_KEY;
  const mode = s.VIGIL_AWS_CREDENTIALS ?? (keys ? 'static' : undefined);
  if (!mode) return undefined;
  const where = { region: s.VIGIL_AWS_REGION, ...(s.VIGIL_AWS_IAM_ENDPOINT ? { endpoint: s.VIGIL_AWS_IAM_ENDPOINT } : {}) };
  if (mode === 'default') {
    if (keys) throw invalid('VIGIL_AWS_CREDENTIALS=default takes credentials from the SDK chain: unset VIGIL_AWS_ACCESS_KEY_ID/SECRET_ACCESS_KEY', 'VIGIL_AWS_CREDENTIALS');
    return where;
  }
  if (!s.VIGIL_AWS_ACCESS_KEY_ID || !s.VIGIL_AWS_SECRET_ACCESS_KEY) throw invalid('set both VIGIL_AWS_ACCESS_KEY_ID and VIGIL_AWS_SECRET_ACCESS_KEY', 'VIGIL_AWS_SECRET_ACCESS_KEY');
  const credentials = { accessKeyId: s.VIGIL_AWS_ACCESS_KEY_ID, secretAccessKey: s.VIGIL_AWS_SECRET_ACCESS_KEY, ...(s.VIGIL_AWS_SESSION_TOKEN ? { sessionToken: s.VIGIL_AWS_SESSION_TOKEN } : {}) };
  return { ...where, credentials };
}

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
  const kubernetes = kubernetesSettings(s, env);
  if (kubernetes) settings.kubernetes = kubernetes;
  const awsIam = awsIamSettings(s);
  if (awsIam) settings.awsIam = awsIam;
  return settings;
}
