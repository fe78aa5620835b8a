/** `--listen host:port` flags: `[::1]:8443` for IPv6, `:8443` for every interface. */
import { VigilError } from '../error-codes';

export function parseListen(value: string, flag = '--listen'): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new VigilError('VGL_CONFIG_INVALID', `${flag} must be host:port, got '${value}'`, { field: flag });
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1') || '0.0.0.0', port };
}
