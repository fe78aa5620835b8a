/** Durations in workflow settings: `250ms`, `30s`, `5m`, `1h`, `7d` (Sigma timespan style) or ms as a number. */
const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  if (!m) throw new Error(`invalid duration '${value}': expected e.g. 30s, 5m, 1h, 7d`);
  return Number(m[1]) * units[m[2]!]!;
}
