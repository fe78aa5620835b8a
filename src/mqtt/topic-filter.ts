/**
 * MQTT topic-filter semantics the broker policy is decided with, written to agree with Mosquitto's so the
 * embedded broker and a generated Mosquitto ACL decide alike:
 *   - topicMatches: does a subscription filter match a concrete topic (MQTT 3.1.1 §4.7; Mosquitto
 *     `mosquitto_topic_matches_sub`), used for publish and delivery checks;
 *   - filterCovers: is every topic a requested filter can match also matched by a granted pattern, i.e.
 *     may this SUBSCRIBE be accepted. Reference: Mosquitto 2.0 plugins/dynamic-security/sub_matches_sub.c
 *     `sub_acl_check` (a granted `+` covers any one level, `#` any rest; a requested wildcard is covered only
 *     by a wildcard; `$share/{group}/` is an ordinary level prefix here, so the group must be granted by name).
 */

/** MQTT 3.1.1 §4.7.2: a filter starting with a wildcard never matches a topic starting with `$`. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

export function filterCovers(pattern: string, requested: string): boolean {
  if (pattern === '#') return true;
  const [p, patternHash] = withoutTrailingHash(pattern);
  const [r, requestedHash] = withoutTrailingHash(requested);
  if (requestedHash && !patternHash) return false;
  if (p.length > r.length || (r.length > p.length && !patternHash)) return false;
  return p.every((level, i) => level === '+' || level === r[i]);
}

/** Levels without a trailing `#` (as `sub_acl_check` strips it: `#` alone leaves one empty level), and whether there was one. */
function withoutTrailingHash(filter: string): [string[], boolean] {
  if (filter === '#') return [[''], true];
  if (filter.endsWith('/#')) return [filter.slice(0, -2).split('/'), true];
  return [filter.split('/'), false];
}
