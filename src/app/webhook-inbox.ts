/** A local webhook receiver for the embedded stack, so playbook notifications are visible (logged) without Slack. */
import { createServer } from 'node:http';
import type { Logger } from 'pino';

export async function startWebhookInbox(logger: Logger): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      let notice: unknown = body;
      try {
        notice = JSON.parse(body);
      } catch {
        // keep the raw text
      }
      logger.info({ notice }, 'notification received');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/notify`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
