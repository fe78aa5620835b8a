/**
 * The one pino logger per process; library code receives it (or a child) as a parameter.
 * Logs go to stderr so CLI commands keep stdout for their output (NDJSON, tables). A person at a terminal reads
 * them as lines (`HH:MM:ss.l LEVEL message key: value`); anything else (a file, a pipe, a log shipper) gets one
 * JSON object per line. `--log-format`, then VIGIL_LOG_FORMAT, override the choice.
 */
import pino, { type Logger } from 'pino';

export const logFormats = ['pretty', 'json'] as const;
export type LogFormat = (typeof logFormats)[number];

/** `--log-format F` / `--log-format=F` on the command line, else VIGIL_LOG_FORMAT, else pretty exactly when stderr is a terminal. */
export function logFormatFor(argv: readonly string[], env: NodeJS.ProcessEnv, stderrIsTty: boolean): LogFormat {
  let flag: string | undefined;
  for (const [i, arg] of argv.entries()) {
    if (arg === '--log-format') flag = argv[i + 1];
    else if (arg.startsWith('--log-format=')) flag = arg.slice('--log-format='.length);
  }
  const chosen = flag ?? env['VIGIL_LOG_FORMAT'];
  if (chosen === 'pretty' || chosen === 'json') return chosen;
  return stderrIsTty ? 'pretty' : 'json';
}

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', format: LogFormat = 'json'): Logger {
  if (format === 'json') return pino({ level, base: undefined }, pino.destination(2));
  // Loaded only for a terminal: commands whose logs are JSON do not pay for it at start-up. Synchronous, like
  // pino.destination(2), so the last lines before an exit are not lost.
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pino({ level, base: undefined }, pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', singleLine: true }));
}
