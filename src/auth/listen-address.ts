/**
 * Listen addresses of Vigil's servers (`--listen` flags, VIGIL_METRICS_LISTEN...): `[::1]:8443` for IPv6,
 * `:8443` for every interface. Who may reach a server starts with where it listens, so whether an address is
 * loopback decides which servers must authenticate (src/metrics) or warn (the k8s audit webhook).
 */
import { VigilError } from '../error-codes';

export function parseListen(value: string, flag = '--listen'): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new VigilError('VGL_CONFIG_INVALID', `${flag} must be host:port, got '${value}'`, { field: flag });
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1') || '0.0.0.0', port };
}

/** The inverse of parseListen: `host:port`, an IPv6 host in brackets. */
export function formatListen(listen: { host: string; port: number }): string {
  return `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
}

/** Reachable from this machine only. A name other than `localhost` may resolve anywhere, so it counts as not loopback. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
