/** Dotted-path lookup into a decoded event (`userIdentity.arn`); a literal key containing dots wins. */
export function getPath(obj: Record<string, unknown>, dotted: string): unknown {
  if (dotted in obj) return obj[dotted];
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
