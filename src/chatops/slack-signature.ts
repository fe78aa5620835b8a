/**
 * Slack request signing (reference: api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:<X-Slack-Request-Timestamp>:<raw body>")>`.
 * Requests older or newer than five minutes are refused, so a captured request cannot be replayed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const slackTimestampWindowSeconds = 5 * 60;

export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifySlackSignature(
  signingSecret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  nowSeconds: number,
): SignatureCheck {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return { ok: false, reason: 'missing X-Slack-Request-Timestamp or X-Slack-Signature' };
  if (!/^\d+$/.test(timestamp)) return { ok: false, reason: 'X-Slack-Request-Timestamp is not a unix time' };
  if (Math.abs(nowSeconds - Number(timestamp)) > slackTimestampWindowSeconds) return { ok: false, reason: 'request timestamp is outside the 5-minute window (stale or replayed)' };
  const expected = Buffer.from(slackSignature(signingSecret, timestamp, rawBody));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}
