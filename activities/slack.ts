/**
 * Slack delivery. chat.postMessage (reference: api.slack.com/methods/chat.postMessage) answers HTTP 200
 * with `{ok:false, error}` for most failures, so the body decides: transient errors retry, the rest
 * (channel_not_found, invalid_auth, …) are permanent. Incoming webhooks answer 200 "ok" or 4xx with a
 * plain-text reason (invalid_payload, no_service, channel_is_archived), classified by httpCall.
 */
import { ApplicationFailure } from '@temporalio/common';
import { httpCall } from './http-call';
import type { SlackBlock } from './slack-blocks';

export interface SlackConfig {
  /** Web API base, e.g. https://slack.com/api (configurable so tests use a fake). */
  apiUrl: string;
  botToken?: string;
  /** Channel for approval requests and notices. */
  channel?: string;
  incomingWebhookUrl?: string;
}

const transientErrors = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

export async function postSlackMessage(config: SlackConfig, channel: string, text: string, blocks: SlackBlock[]): Promise<{ channel: string; ts: string }> {
  if (!config.botToken) throw ApplicationFailure.nonRetryable('Slack bot token (VIGIL_SLACK_BOT_TOKEN) is not configured', 'VGL_ACTION_NOT_CONFIGURED');
  const { text: body } = await httpCall({
    method: 'POST',
    url: `${config.apiUrl}/chat.postMessage`,
    headers: { authorization: `Bearer ${config.botToken}`, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ channel, text, blocks }),
  });
  const reply = JSON.parse(body) as { ok: boolean; error?: string; channel?: string; ts?: string };
  if (!reply.ok) {
    const message = `Slack chat.postMessage to ${channel}: ${reply.error ?? 'unknown error'}`;
    if (reply.error && transientErrors.has(reply.error)) throw ApplicationFailure.retryable(message, 'SlackUnavailable');
    throw ApplicationFailure.nonRetryable(message, 'VGL_ACTION_REJECTED');
  }
  return { channel: reply.channel ?? channel, ts: reply.ts ?? '' };
}

export async function postSlackIncomingWebhook(url: string, text: string, blocks: SlackBlock[]): Promise<number> {
  // An app's incoming webhook may carry buttons; clicks reach the app's interactivity URL (chatops).
  return (await httpCall({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, blocks }) })).status;
}
