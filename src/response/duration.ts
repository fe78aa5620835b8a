/**
 * Durations as response config spells them (`90s`, `15m`, `1h`, `2d`, `500ms`). Pure, so the playbook
 * workflow can use it to compute escalating containment times deterministically.
 */
const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const durationPattern = /^(\d+)(ms|s|m|h|d)$/;

/** Milliseconds in `text`, or undefined when it is not a duration this module accepts. */
export function parseDuration(text: string): number | undefined {
  const match = durationPattern.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * unitMs[match[2] as keyof typeof unitMs];
}

/** Parses a duration that config validation already accepted; a failure here is a programming error. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new TypeError(`not a validated duration: ${text}`);
  return ms;
}
