/**
 * The Prometheus scrape endpoint of a Vigil process: `GET /metrics` in the text exposition format, nothing else.
 *
 * Who may scrape. Metrics name tenants and show their traffic, so the endpoint is a network surface like any
 * other: it binds where VIGIL_METRICS_LISTEN says (unset = no endpoint at all), and anywhere beyond loopback it
 * must have a bearer token (VIGIL_METRICS_TOKEN, Prometheus' `authorization: { credentials_file: ... }`), or the
 * process does not start. On loopback the token is optional (a local agent, `curl` while debugging); when set it
 * is required there too. Every refused request answers 401 `VGL_METRICS_AUTH` before any metric is collected.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { bearerToken, sameSecret } from '../auth/bearer';
import { isLoopbackHost } from '../auth/listen-address';
import { VigilError } from '../error-codes';

export interface MetricsServerOptions {
  host: string;
  /** 0 = any free port (the URL says which). */
  port: number;
  /** Required unless `host` is loopback; when set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  registry: Registry;
  logger: Logger;
}

export interface MetricsServer {
  /** `http://host:port/metrics`. */
  url: string;
  close(): Promise<void>;
}

/** Refuses an endpoint that anyone on the network could read; called before anything else starts. */
export function checkMetricsExposure(host: string, token: string | undefined): void {
  if (token === undefined && !isLoopbackHost(host)) {
    throw new VigilError('VGL_CONFIG_INVALID', `VIGIL_METRICS_LISTEN binds ${host}, beyond loopback: set VIGIL_METRICS_TOKEN (scrapers send it as a bearer token)`, {
      field: 'VIGIL_METRICS_TOKEN',
    });
  }
}

const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
};

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { registry, token, logger } = options;
  checkMetricsExposure(options.host, token);
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const presented = bearerToken(req.headers.authorization);
    if (token !== undefined && (presented === undefined || !sameSecret(presented, token))) {
      logger.warn({ remote: req.socket.remoteAddress }, 'VGL_METRICS_AUTH: metrics scrape without the configured bearer token refused');
      return send(res, 401, JSON.stringify({ code: 'VGL_METRICS_AUTH', message: 'missing or wrong bearer token' }), { 'www-authenticate': 'Bearer' });
    }
    const url = new URL(req.url ?? '/', 'http://metrics');
    if (req.method !== 'GET' || url.pathname !== '/metrics') return send(res, 404, JSON.stringify({ message: 'GET /metrics' }));
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType }).end(body);
  };
  const server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      logger.error({ err: (err as Error).message }, 'collecting metrics failed');
      if (!res.headersSent) send(res, 500, JSON.stringify({ message: 'collecting metrics failed' }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}/metrics`;
  logger.info({ url, token: token !== undefined }, 'metrics endpoint listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
