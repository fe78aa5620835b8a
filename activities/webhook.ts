/**
 * Generic webhooks signed with HMAC-SHA256, so receivers can verify Vigil sent them:
 * `X-Vigil-Timestamp: <unix seconds>` and `X-Vigil-Signature: v1=<hex HMAC(secret, "<ts>.<body>")>`.
 * Used for notices and for tickets (a ticket is a webhook to the ticketing system's intake URL).
 */
import { createHmac } from 'node:crypto';
import { httpCall, type HttpResult } from './http-call';

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export async function postSignedJson(url: string, secret: string | undefined, payload: unknown, extraHeaders: Record<string, string> = {}): Promise<HttpResult> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extraHeaders };
  if (secret) {
    const timestamp = Math.floor(Date.now() / 1000);
    headers['x-vigil-timestamp'] = String(timestamp);
    headers['x-vigil-signature'] = signWebhook(secret, timestamp, body);
  }
  return httpCall({ method: 'POST', url, headers, body });
}
