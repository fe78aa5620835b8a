/**
 * Remote codec endpoint for the Temporal UI and CLI: turns Vigil's `binary/msgpack` payloads into
 * `json/plain` so histories, signals, queries and memos read as JSON in the UI (`start-dev
 * --ui-codec-endpoint`). Protocol: POST /decode and /encode with `{"payloads":[{metadata:{k:b64},
 * data:b64}]}`; payloads of other encodings pass through unchanged.
 * Reference: temporalio/samples-go codec-server/protocol.md.
 *
 * Who may call it. It binds loopback unless told otherwise. The browser calls it from the UI's page, so
 * exactly one origin (the UI's) gets CORS grants; a request carrying any other Origin is refused, and
 * the allowed origin is configured, never reflected. With a token configured, every request needs
 * `Authorization: Bearer <token>`: the Temporal CLI sends it with `--codec-auth 'Bearer <token>'`. The
 * UI's "Pass the user access token" sends the *user's OIDC access token* instead (and only to https
 * endpoints), which a static token cannot match: behind a UI, keep the codec private or put it behind
 * the same SSO proxy as the UI ("Include cross-origin credentials" then sends its cookie). The codec
 * holds no key: msgpack is an encoding, not encryption, so it reveals nothing the payload bytes do not.
 */
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { bearerToken, sameSecret } from '../auth/bearer';
import { VigilError } from '../error-codes';
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

/** `scheme://host[:port]` of the UI, exactly; a wildcard, a path or `null` is refused. */
export function corsOrigin(text: string, field: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== text.replace(/\/$/, '')) {
    throw new VigilError('VGL_CONFIG_INVALID', `the Temporal UI's origin must be scheme://host[:port] (no wildcard, no path), got '${text}'`, { field });
  }
  return url.origin;
}

export interface CodecServerOptions {
  port: number;
  /** Interface to listen on (default loopback). */
  host?: string;
  /** The Temporal UI's origin, the only one granted CORS. */
  allowedOrigin: string;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest request body (413 beyond); the UI sends one history page's payloads at a time. */
  maxBodyBytes?: number;
  logger: Logger;
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const { logger, token } = options;
  const host = options.host ?? '127.0.0.1';
  const allowedOrigin = corsOrigin(options.allowedOrigin, '--ui-origin');
  // The UI calls it for every payload it shows: request logs would drown everything else.
  const app = Fastify({ bodyLimit: options.maxBodyBytes ?? 8 * 1024 * 1024, loggerInstance: logger.child({ component: 'codec' }), disableRequestLogging: true });
  // JSON only: text/plain is what a foreign page can POST without a CORS preflight.
  app.removeContentTypeParser('text/plain');
  const refuse = (reply: FastifyReply, status: number, code: 'VGL_CODEC_AUTH' | 'VGL_CODEC_PAYLOAD', message: string) => reply.code(status).send({ code, message });

  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== allowedOrigin) {
      logger.warn({ origin }, 'VGL_CODEC_AUTH: codec request from another origin refused');
      return refuse(reply, 403, 'VGL_CODEC_AUTH', 'origin not allowed');
    }
    if (origin !== undefined) {
      void reply.headers({
        'access-control-allow-origin': allowedOrigin,
        'access-control-allow-credentials': 'true',
        vary: 'Origin',
      });
    }
    // A preflight never carries credentials (Fetch standard), so it is answered before the token check.
    if (request.method === 'OPTIONS') {
      return reply
        .code(204)
        .headers({ 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': 'authorization, content-type, x-namespace', 'access-control-max-age': '600' })
        .send();
    }
    const presented = bearerToken(request.headers.authorization);
    if (token !== undefined && (presented === undefined || !sameSecret(presented, token))) return refuse(reply, 401, 'VGL_CODEC_AUTH', 'missing or wrong bearer token');
    return undefined;
  });

  app.setErrorHandler((err: FastifyError, _request, reply) => {
    // Body failures (too large, not JSON, wrong content type) arrive here with their status.
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
    return refuse(reply, status, 'VGL_CODEC_PAYLOAD', err.message);
  });
  app.setNotFoundHandler((_request, reply) => refuse(reply, 404, 'VGL_CODEC_PAYLOAD', 'POST /decode or /encode'));

  const route = (convert: (p: WirePayload) => WirePayload) => async (request: FastifyRequest, reply: FastifyReply) => {
    const body = BodySchema.safeParse(request.body);
    if (!body.success) return refuse(reply, 400, 'VGL_CODEC_PAYLOAD', body.error.issues[0]!.message);
    try {
      return { payloads: body.data.payloads.map(convert) };
    } catch (err) {
      return refuse(reply, 400, 'VGL_CODEC_PAYLOAD', (err as Error).message);
    }
  };
  app.post('/decode', route(decodeWirePayload));
  app.post('/encode', route(encodeWirePayload));

  await app.listen({ port: options.port, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  logger.info({ host, port, origin: allowedOrigin, token: token !== undefined }, 'codec endpoint listening');
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, close: () => app.close() };
}
