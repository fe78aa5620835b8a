/**
 * Remote codec endpoint for the Temporal UI and CLI: turns Vigil's `binary/msgpack` payloads into
 * `json/plain` so histories, signals, queries and memos read as JSON in the UI (`start-dev
 * --ui-codec-endpoint`). Protocol: POST /decode and /encode with `{"payloads":[{metadata:{k:b64},
 * data:b64}]}`; payloads of other encodings pass through unchanged. The browser calls it directly,
 * so it answers CORS preflights for the UI's origin.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import { toJsonValue } from '../model/json-value';
import { MSGPACK_ENCODING, payloadPackr } from './payload-converter';

/** Nesting bound of a payload shown as JSON; deeper is a 400 for that request. */
const MAX_NESTING = 256;

const WirePayloadSchema = z.object({
  metadata: z.record(z.string(), z.string()).optional(),
  data: z.string().optional(),
});
const BodySchema = z.object({ payloads: z.array(WirePayloadSchema) });
type WirePayload = z.infer<typeof WirePayloadSchema>;

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString();

export function decodeWirePayload(p: WirePayload): WirePayload {
  if (unb64(p.metadata?.encoding) !== MSGPACK_ENCODING || p.data === undefined) return p;
  // JSON-safe: a payload another SDK wrote with 64-bit integers (BigInt here) must show, not throw.
  const value = toJsonValue(payloadPackr.unpack(Buffer.from(p.data, 'base64')), MAX_NESTING);
  return { metadata: { ...p.metadata, encoding: b64('json/plain') }, data: Buffer.from(JSON.stringify(value) ?? 'null').toString('base64') };
}

export function encodeWirePayload(p: WirePayload): WirePayload {
  if (unb64(p.metadata?.encoding) !== 'json/plain' || p.data === undefined) return p;
  const value: unknown = JSON.parse(unb64(p.data));
  return { metadata: { ...p.metadata, encoding: b64(MSGPACK_ENCODING) }, data: payloadPackr.pack(value).toString('base64') };
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString();
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

export async function startCodecServer(port: number, allowedOrigin: string, logger: Logger, host = '127.0.0.1'): Promise<CodecServer> {
  const send = (res: ServerResponse, status: number, body?: unknown): void => {
    res.writeHead(status, {
      'access-control-allow-origin': allowedOrigin,
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'content-type, x-namespace',
      'access-control-allow-credentials': 'true',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    });
    res.end(body !== undefined ? JSON.stringify(body) : undefined);
  };
  const server: Server = createServer((req, res) => {
    if (req.method === 'OPTIONS') return send(res, 204);
    const route = req.url?.split('?')[0];
    if (req.method !== 'POST' || (route !== '/decode' && route !== '/encode')) return send(res, 404, { error: 'POST /decode or /encode' });
    readBody(req, 8 * 1024 * 1024)
      .then((text) => {
        const body = BodySchema.safeParse(JSON.parse(text));
        if (!body.success) return send(res, 400, { error: body.error.issues[0]!.message });
        const convert = route === '/decode' ? decodeWirePayload : encodeWirePayload;
        send(res, 200, { payloads: body.data.payloads.map(convert) });
      })
      .catch((err: Error) => {
        logger.warn({ err: err.message }, 'codec request failed');
        send(res, 400, { error: err.message });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  logger.info({ port: actual }, 'codec endpoint listening');
  return { url: `http://${host}:${actual}`, close: () => new Promise((r) => server.close(() => r())) };
}
