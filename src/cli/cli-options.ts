/** Checks of command-line values and required settings that several command areas share (no heavy imports). */
import { VigilError } from '../error-codes';

export function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new VigilError('VGL_CONFIG_INVALID', `${flag} must be a positive integer, got '${value}'`, { field: flag });
  return n;
}

export function requireMqtt(url: string | undefined): string {
  if (!url) throw new VigilError('VGL_CONFIG_INVALID', 'MQTT_URL is required for this command (e.g. mqtt://127.0.0.1:1883)', { field: 'MQTT_URL' });
  return url;
}
