/**
 * A fake Slack: Web API `chat.postMessage` (bearer token; HTTP 200 with `{ok:false, error}` for
 * invalid_auth / channel_not_found, as Slack does) and an incoming webhook URL (`ok` or 4xx text).
 * Posted messages are kept for assertions.
 */
import { startHttpFake, type HttpFake } from './http-fake';

export interface PostedSlackMessage {
  via: 'api' | 'webhook';
  channel?: string;
  text: string;
  blocks: Array<Record<string, unknown>>;
}

export interface SlackApiFake extends HttpFake {
  messages: PostedSlackMessage[];
  apiUrl: string;
  incomingWebhookUrl: string;
}

export async function startSlackApiFake(botToken: string, knownChannels: string[]): Promise<SlackApiFake> {
  const messages: PostedSlackMessage[] = [];
  let ts = 1_700_000_000;
  const fake = await startHttpFake((req) => {
    if (req.path === '/api/chat.postMessage' && req.method === 'POST') {
      if (req.headers.authorization !== `Bearer ${botToken}`) return { status: 200, body: { ok: false, error: 'invalid_auth' } };
      const body = JSON.parse(req.body) as { channel: string; text: string; blocks?: Array<Record<string, unknown>> };
      if (!knownChannels.includes(body.channel)) return { status: 200, body: { ok: false, error: 'channel_not_found' } };
      messages.push({ via: 'api', channel: body.channel, text: body.text, blocks: body.blocks ?? [] });
      ts += 1;
      return { status: 200, body: { ok: true, channel: body.channel, ts: `${ts}.000100`, message: { text: body.text } } };
    }
    if (req.path === '/services/T000/B000/XXXX' && req.method === 'POST') {
      const body = JSON.parse(req.body) as { text?: string; blocks?: Array<Record<string, unknown>> };
      if (!body.text && !body.blocks) return { status: 400, body: 'invalid_payload' };
      messages.push({ via: 'webhook', text: body.text ?? '', blocks: body.blocks ?? [] });
      return { status: 200, body: 'ok' };
    }
    return { status: 404, body: 'not_found' };
  });
  return { ...fake, messages, apiUrl: `${fake.url}/api`, incomingWebhookUrl: `${fake.url}/services/T000/B000/XXXX` };
}
