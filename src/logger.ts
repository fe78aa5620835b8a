/** The one pino logger per process; library code receives it (or a child) as a parameter. */
import pino, { type Logger } from 'pino';

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  // Logs go to stderr so CLI commands keep stdout for their output (NDJSON, tables).
  return pino({ level, base: undefined }, pino.destination(2));
}
