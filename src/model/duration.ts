/**
 * The one duration grammar: `250ms`, `30s`, `5m`, `1h`, `7d`, `2w` (a number, integer or decimal, then a unit), or
 * milliseconds as a number. Sigma correlation timespans (integer and s/m/h/d/w only, src/sigma/correlation-rule.ts),
 * correlator settings, analyst suppressions and playbook specs are all read with it. Pure: it also runs in the
 * workflow sandbox.
 */
const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(value.trim());
  if (!m) throw new Error(`invalid duration '${value}': expected e.g. 30s, 5m, 1h, 7d`);
  return Number(m[1]) * unitMs[m[2]!]!;
}
