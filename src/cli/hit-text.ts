/**
 * A `rules eval` NDJSON hit line as one readable line (`vigil hunt` without --json):
 *   detection   high      Test - exec into a pod  event 9f2c...
 *   correlation critical  Brute force then login  user.name=alice  events a1,a2,a3
 */
interface HitLine {
  type: 'detection' | 'correlation';
  rule: { title: string; level?: string; shadow?: boolean };
  event?: { id: string };
  group?: Record<string, unknown>;
  events?: string[];
  kind?: string;
}

export function readableHit(line: string): string {
  const hit = JSON.parse(line) as HitLine;
  const head = `${hit.type.padEnd(11)} ${(hit.rule.level ?? '-').padEnd(8)} ${hit.rule.title}${hit.rule.shadow ? ' [shadow]' : ''}`;
  if (hit.type === 'detection') return `${head}  event ${hit.event?.id ?? ''}`;
  const group = Object.entries(hit.group ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(' ');
  return `${head}${hit.kind ? ` (${hit.kind})` : ''}  ${group}  events ${(hit.events ?? []).join(',')}`;
}
