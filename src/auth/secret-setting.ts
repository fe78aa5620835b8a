/**
 * The one check every secret setting goes through (chatops API tokens, the Slack signing secret, the
 * webhook HMAC secret, the codec token, the k8s audit webhook token, the MQTT password). A value copied
 * from an example or left as a placeholder passes a plain length check and then really works, for
 * anyone who read the same example; such values are refused at start-up instead, naming the variable
 * (never echoing the value).
 */
import { z } from 'zod';

export const minSecretLength = 16;

/**
 * Words that mark a placeholder, matched in the lower-cased value with `-`, `_`, `.` and blanks removed
 * (so `change-me`, `CHANGE_ME` and `changeme` are one). `xxxx` catches `xoxb-xxxx-…` style masks.
 * Random tokens (hex, base64) contain none of these except by a chance far below one in a million.
 */
const placeholderMarkers = ['changeme', 'placeholder', 'replacewith', 'replaceme', 'example', 'secret', 'password', 'dummy', 'yourtoken', 'insertyour', 'xxxx'];

/** Fewer distinct characters than this is a repeated pattern (`aaaa…`, `abcabc…`), not a secret. */
const minDistinctCharacters = 6;

/** Why `value` is not acceptable as a secret, or undefined when it is. */
export function secretProblem(value: string): string | undefined {
  if (value.length < minSecretLength) return `too short: a secret needs at least ${minSecretLength} characters`;
  const normalised = value.toLowerCase().replace(/[-_.\s]/g, '');
  const marker = placeholderMarkers.find((word) => normalised.includes(word));
  if (marker) return `looks like a placeholder (contains "${marker}"): generate a real one, e.g. \`openssl rand -hex 32\``;
  if (new Set(value).size < minDistinctCharacters) return 'is a repeated pattern (too few distinct characters): generate a real one, e.g. `openssl rand -hex 32`';
  return undefined;
}

/** A zod string that must be a real secret (see secretProblem); the issue carries only the reason. */
export const SecretSchema = z.string().superRefine((value, ctx) => {
  const problem = secretProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
