/**
 * A real HTTP server on 127.0.0.1:<random> for faking an external API in tests, HTTPS when given a
 * certificate. Every request is recorded (method, path, headers, raw body) before the route answers, so
 * tests assert what was sent.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type FakeRoute = (request: RecordedRequest) => FakeReply | Promise<FakeReply>;

export interface HttpFake {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startHttpFake(route: FakeRoute, tls?: { cert: string; key: string }): Promise<HttpFake> {
  const requests: RecordedRequest[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      Promise.resolve(route(recorded)).then(
        (reply) => {
          const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
          const contentType = typeof reply.body === 'string' ? 'text/plain' : 'application/json';
          res.writeHead(reply.status, { 'content-type': contentType, ...reply.headers });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500);
          res.end(err.message);
        },
      );
    });
  };
  const server: Server = tls ? createTlsServer(tls, handle) : createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
