/**
 * Bearer tokens on Vigil's HTTP surfaces (chatops API, codec endpoint, k8s audit webhook): parsing the
 * `Authorization` header and comparing secrets in constant time. Both sides are hashed first, so the
 * comparison takes the same time whatever the lengths and however long a common prefix is.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value ? /^Bearer\s+(\S+)\s*$/i.exec(value)?.[1] : undefined;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The value stored under the token that matches `presented`; every entry is compared, so timing reveals nothing. */
export function lookupToken<T>(tokens: ReadonlyMap<string, T>, presented: string | undefined): T | undefined {
  if (presented === undefined) return undefined;
  let found: T | undefined;
  for (const [token, value] of tokens) if (sameSecret(presented, token)) found = value;
  return found;
}
