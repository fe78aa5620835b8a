/**
 * Deterministic alert ids (no randomness: the id must be the same on replay and on redelivery).
 * FNV-1a over the identifying parts, two 32-bit lanes with different offsets → 16 hex chars.
 */
function fnv1a(text: string, offset: number): number {
  let h = offset >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function alertId(parts: Array<string | number>): string {
  const text = parts.join('\u0000');
  return `alrt-${fnv1a(text, 0x811c9dc5).toString(16).padStart(8, '0')}${fnv1a(text, 0x01234567).toString(16).padStart(8, '0')}`;
}
