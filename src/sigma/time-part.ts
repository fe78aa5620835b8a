/**
 * Time-part modifiers (`minute`, `hour`, `day`, `week`, `month`, `year`): the part of an event
 * timestamp, in UTC, compared as a number. Timestamps are ISO-8601 / RFC 3339 text, or epoch
 * numbers (seconds, or milliseconds above 10^12). `week` is the ISO week number.
 * Reference: rsigma matcher helpers extract_timestamp_part.
 */
export const timeParts = ['minute', 'hour', 'day', 'week', 'month', 'year'] as const;
export type TimePart = (typeof timeParts)[number];

function epochMs(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v > 1e12 ? v : v * 1000;
  if (typeof v !== 'string') return undefined;
  // Date.parse reads "YYYY-MM-DD HH:MM:SS" and zone-less ISO text as local time; Sigma means UTC.
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(' ', 'T')}Z`;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

function isoWeek(d: Date): number {
  // The ISO week of a day is the week of its Thursday, counted from that Thursday's 1 January.
  const thursday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 4 - (d.getUTCDay() || 7)));
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  return Math.ceil(((thursday.getTime() - yearStart) / 86_400_000 + 1) / 7);
}

export function timePartOf(v: unknown, part: TimePart): number | undefined {
  const ms = epochMs(v);
  if (ms === undefined) return undefined;
  const d = new Date(ms);
  switch (part) {
    case 'minute':
      return d.getUTCMinutes();
    case 'hour':
      return d.getUTCHours();
    case 'day':
      return d.getUTCDate();
    case 'week':
      return isoWeek(d);
    case 'month':
      return d.getUTCMonth() + 1;
    case 'year':
      return d.getUTCFullYear();
  }
}
