/**
 * The Kubernetes API server's audit webhook backend, served: the API server POSTs batches of audit
 * events as an `audit.k8s.io/v1` EventList (--audit-webhook-config-file). A 200 is sent only after
 * every event of the body is in the publisher's buffer; while that buffer is full the answer is 503,
 * so the API server retries the batch (its webhook backend backs off) instead of Vigil dropping it.
 * Reference: kubernetes.io/docs/tasks/debug/debug-cluster/audit/#webhook-backend
 */
import Fastify, { type FastifyError } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
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

export async function startK8sAuditWebhook(options: K8sAuditWebhookOptions): Promise<K8sAuditWebhook> {
  const { output, logger } = options;
  const app = Fastify({
    bodyLimit: options.maxBodyBytes ?? 32 * 1024 * 1024,
    loggerInstance: logger.child({ component: 'k8s-audit-webhook' }),
    https: options.tls ?? null,
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
