/**
 * A deterministic 64-bit fingerprint as 16 hex chars (no randomness, no crypto: it runs in the workflow
 * sandbox and must be equal on replay and redelivery). FNV-1a over the parts, two 32-bit lanes with
 * different offsets. Used for alert ids and to keep de-duplication keys small in carried state
 * (collisions: about 1 in 10^11 among the 10,000 keys a correlator remembers).
 */
/**
 * Read once: inside the workflow sandbox every global lookup (`Math`) goes through the vm context's interceptor,
 * which made `Math.imul` in the per-character loop ~25x slower than the loop itself (2.8 s of a 10,800-detection task).
 */
const imul = Math.imul;

function fnv1a(text: string, offset: number): number {
  let h = offset >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function fingerprint(parts: Array<string | number>): string {
  const text = parts.join('\u0000');
  return `${fnv1a(text, 0x811c9dc5).toString(16).padStart(8, '0')}${fnv1a(text, 0x01234567).toString(16).padStart(8, '0')}`;
}
