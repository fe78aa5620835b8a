/**
 * The Kubernetes API server's audit webhook backend, served: the API server POSTs batches of audit
 * events as an `audit.k8s.io/v1` EventList (--audit-webhook-config-file). A 200 is sent only after
 * every event of the body is in the publisher's buffer; while that buffer is full the answer is 503,
 * so the API server retries the batch (its webhook backend backs off) instead of Vigil dropping it.
 *
 * Only the API server may post: the webhook's kubeconfig carries a bearer token (`user.token`) or a
 * client certificate (`user.client-certificate`), and a request without the configured token or a
 * certificate signed by the configured CA gets 401 before its body is read. There is no way to run it
 * without a credential: anything that can reach the port could otherwise inject audit events (or hide
 * an attack in a flood of forged ones), and a token costs one line in the kubeconfig.
 * Reference: kubernetes.io/docs/tasks/debug/debug-cluster/audit/#webhook-backend
 */
import { TLSSocket } from 'node:tls';
import Fastify, { type FastifyError, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { bearerToken, sameSecret } from '../auth/bearer';
import { isLoopbackHost } from '../auth/listen-address';
import { VigilError } from '../error-codes';
import type { CollectorOutput } from './collector-output';
import { checkRecord } from './source-records';

const EventListSchema = z.object({
  apiVersion: z.literal('audit.k8s.io/v1'),
  kind: z.literal('EventList'),
  items: z.array(z.unknown()),
});

export interface K8sAuditWebhookOptions {
  host: string;
  port: number;
  /** Largest request body accepted (413 beyond); the API server's default batch is 400 events. */
  maxBodyBytes?: number;
  output: CollectorOutput;
  logger: Logger;
  /** Serve HTTPS with this PEM certificate and key (API servers usually reach webhooks over TLS). */
  tls?: { cert: Buffer; key: Buffer };
  /**
   * Who may post; at least one is required. `token`: the bearer token of the webhook kubeconfig.
   * `clientCa`: PEM CA(s) whose client certificates are accepted (mTLS; needs `tls`).
   */
  auth: { token?: string; clientCa?: Buffer };
}

export interface K8sAuditWebhook {
  url: string;
  close(): Promise<void>;
}

function rejection(error: VigilError): { code: string; reason: string; field?: string } {
  return { code: error.code, reason: error.message, ...(error.location.field ? { field: error.location.field } : {}) };
}

/** Validates the whole body first, so a batch is queued entirely or not at all. */
function eventsOf(body: unknown): Record<string, unknown>[] {
  const list = EventListSchema.safeParse(body);
  if (!list.success) {
    const issue = list.error.issues[0]!;
    throw new VigilError('VGL_COLLECT_PAYLOAD', `not an audit.k8s.io/v1 EventList: ${issue.message}`, { field: issue.path.join('.') || undefined });
  }
  return list.data.items.map((item, i) => {
    const checked = checkRecord('k8s_audit', item);
    if (!checked.ok) throw new VigilError('VGL_COLLECT_PAYLOAD', checked.reason, { field: [`items[${i}]`, checked.field].filter(Boolean).join('.') });
    return checked.data;
  });
}

/** Refuses a webhook nobody could authenticate to; the CLI calls it before connecting to the broker. */
export function checkWebhookAuth(options: Pick<K8sAuditWebhookOptions, 'auth' | 'tls' | 'host' | 'logger'>): void {
  const { auth, tls, host, logger } = options;
  if (!auth.token && !auth.clientCa) {
    throw new VigilError('VGL_CONFIG_INVALID', 'the audit webhook needs a credential: a bearer token (VIGIL_K8S_AUDIT_TOKEN or --token-file) and/or a client CA (--client-ca)', { field: 'VIGIL_K8S_AUDIT_TOKEN' });
  }
  if (auth.clientCa && !tls) throw new VigilError('VGL_CONFIG_INVALID', 'client certificates need TLS: give --tls-cert and --tls-key too', { field: '--client-ca' });
  if (auth.token && !tls && !isLoopbackHost(host)) logger.warn({ host }, 'k8s audit webhook on plain HTTP: its bearer token crosses the network in clear; serve TLS (--tls-cert/--tls-key)');
}

/** The TLS options: with a client CA, certificates are requested and verified, and the verdict checked per request. */
function httpsOptions(options: K8sAuditWebhookOptions) {
  if (!options.tls) return null;
  if (!options.auth.clientCa) return options.tls;
  // rejectUnauthorized: false lets a token-only client finish the handshake; the onRequest hook then
  // accepts the connection only if `authorized` (certificate verified against `ca`) or the token matches.
  return { ...options.tls, ca: options.auth.clientCa, requestCert: true, rejectUnauthorized: false };
}

export async function startK8sAuditWebhook(options: K8sAuditWebhookOptions): Promise<K8sAuditWebhook> {
  const { output, logger, auth } = options;
  checkWebhookAuth(options);
  const app = Fastify({
    bodyLimit: options.maxBodyBytes ?? 32 * 1024 * 1024,
    loggerInstance: logger.child({ component: 'k8s-audit-webhook' }),
    https: httpsOptions(options),
  });
  const authenticated = (request: FastifyRequest): boolean => {
    const socket = request.raw.socket;
    if (auth.clientCa && socket instanceof TLSSocket && socket.authorized) return true;
    const presented = bearerToken(request.headers.authorization);
    return auth.token !== undefined && presented !== undefined && sameSecret(presented, auth.token);
  };
  // onRequest runs before the body is read: an unauthenticated sender costs no parsing.
  app.addHook('onRequest', async (request, reply) => {
    if (authenticated(request)) return;
    logger.warn({ remote: request.ip, url: request.url }, 'VGL_COLLECT_AUTH: audit webhook request without a valid token or client certificate refused');
    return reply.code(401).header('www-authenticate', 'Bearer').send(rejection(new VigilError('VGL_COLLECT_AUTH', 'no valid bearer token or client certificate')));
  });
  app.setErrorHandler((err: FastifyError, _request, reply) => {
    // Body parsing failures (bad JSON, too large, wrong content type) arrive here with their status.
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    const error = new VigilError('VGL_COLLECT_PAYLOAD', err.message);
    if (status === 500) logger.error({ err }, 'k8s audit webhook failed');
    return reply.code(status).send(rejection(error));
  });
  app.post('/*', async (request, reply) => {
    let events: Record<string, unknown>[];
    try {
      events = eventsOf(request.body);
    } catch (e) {
      if (!(e instanceof VigilError)) throw e;
      return reply.code(400).send(rejection(e));
    }
    if (!output.hasRoomFor(events.length)) {
      return reply.code(503).header('retry-after', '1').send({ reason: 'collector buffer full (broker unreachable?); retry' });
    }
    const now = Date.now();
    let published = 0;
    for (const event of events) if (output.emit(event, now)) published += 1;
    return reply.code(200).send({ received: events.length, published });
  });
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { url: `${options.tls ? 'https' : 'http'}://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`, close: () => app.close() };
}
