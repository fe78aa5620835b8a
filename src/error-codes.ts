/**
 * Every failure an operator or rule author sees carries a stable code from this registry.
 * Codes are never reused once retired; README.md's "Error codes" table lists each one with how to
 * solve it, and test/error-codes.test.ts keeps the two in sync.
 */
export const errorCodes = {
  // configuration and provisioning
  VGL_CONFIG_INVALID: 'A configuration value (env var or flag) failed validation.',
  VGL_TEMPORAL_CLI_NOT_FOUND: 'No Temporal CLI could be found, built or downloaded.',
  // ingest dead-letter reasons
  VGL_DLQ_TOPIC: 'The MQTT topic does not name a known tenant and source.',
  VGL_DLQ_DECODE: 'The message payload is not valid msgpack.',
  VGL_DLQ_SCHEMA: 'The batch or one of its events does not match the event schema.',
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** Where a problem is: a file position, and/or a field path inside a document or event. */
export interface Location {
  file?: string;
  line?: number;
  col?: number;
  field?: string;
}

export function formatLocation(loc: Location): string {
  const pos = loc.file ? [loc.file, loc.line, loc.col].filter((p) => p !== undefined).join(':') : '';
  return [pos, loc.field ? `field ${loc.field}` : ''].filter(Boolean).join(' ');
}

/** The base of every user-facing error: a stable code, a reason, and where. */
export class VigilError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly reason: string,
    readonly location: Location = {},
  ) {
    const where = formatLocation(location);
    super(`${code}: ${where ? `${where}: ` : ''}${reason}`);
    this.name = 'VigilError';
  }
}
