/**
 * Broker password hashes in Mosquitto 2.0's password-file format, `$7$<iterations>$<salt>$<hash>`:
 * PBKDF2-HMAC-SHA512, a 12-byte salt (Mosquitto rejects other sizes), a 64-byte key, both base64.
 * Reference: mosquitto 2.0 src/security_default.c (unpwd__decode_passwords, pw__digest). The embedded
 * broker verifies against the same records, so one hashing path serves both brokers.
 */
import { pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);
const SALT_BYTES = 12;
const KEY_BYTES = 64;
/**
 * Mosquitto is single-threaded and hashes on every CONNECT, so a reconnect storm of many collectors
 * costs connections x iterations; the secrets are required to be long random strings (broker-secret.ts),
 * so a large count would buy nothing. ~1.7 ms per CONNECT on our machine kind.
 */
export const PBKDF2_ITERATIONS = 1000;

export function hashPassword(password: string, iterations = PBKDF2_ITERATIONS, salt: Buffer = randomBytes(SALT_BYTES)): string {
  const key = pbkdf2Sync(password, salt, iterations, KEY_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** False for a wrong password and for a record that is not a well-formed `$7$` hash. */
export async function verifyPassword(password: string, record: string): Promise<boolean> {
  const m = /^\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(record);
  if (!m) return false;
  const salt = Buffer.from(m[2]!, 'base64');
  const expected = Buffer.from(m[3]!, 'base64');
  const iterations = Number(m[1]);
  if (iterations < 1 || salt.length !== SALT_BYTES || expected.length !== KEY_BYTES) return false;
  const actual = await pbkdf2Async(password, salt, iterations, KEY_BYTES, 'sha512');
  return timingSafeEqual(actual, expected);
}
