/**
 * Broker credentials: one secret per identity, kept in a credentials file `<dir>/<username>.env` holding
 * exactly what a Vigil process reads (`MQTT_USERNAME=`, `MQTT_PASSWORD=`), so it is the `env_file` of a
 * compose service or a systemd `EnvironmentFile` as is. Files are written with mode 0600 in a 0700
 * directory. Supplied secrets must look random (length, variety, no placeholder words); generated ones
 * are 32 random bytes. No default or weak secret is ever made up.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { secretProblem } from '../auth/secret-setting';
import { VigilError, type Location } from '../error-codes';
import type { BrokerIdentity } from './broker-policy';

export interface BrokerCredential {
  identity: BrokerIdentity;
  password: string;
}

/** 256 random bits, base64url: safe unquoted in env files, shells and compose; redrawn in the rare case the shared secret check would refuse it. */
export function generateSecret(): string {
  for (;;) {
    const secret = randomBytes(32).toString('base64url');
    if (secretProblem(secret) === undefined) return secret;
  }
}

/** Fresh random secrets for `identities`, e.g. an embedded broker's per-run credentials. */
export function generateCredentials(identities: readonly BrokerIdentity[]): BrokerCredential[] {
  return identities.map((identity) => ({ identity, password: generateSecret() }));
}

/** The MQTT connect options of `username` among `credentials`. */
export function loginAs(credentials: readonly BrokerCredential[], username: string): { username: string; password: string } {
  const credential = credentials.find((c) => c.identity.username === username);
  if (!credential) throw new Error(`no broker credential for ${username}`);
  return { username, password: credential.password };
}

/** Throws VGL_CONFIG_INVALID for a secret the shared check refuses (short, repetitive, a placeholder) or that contains whitespace (env files). */
export function checkSecret(secret: string, where: Location): void {
  const problem = /\s/.test(secret) ? 'contains whitespace' : secretProblem(secret);
  if (problem) throw new VigilError('VGL_CONFIG_INVALID', `the broker password is refused: ${problem} (or use --generate)`, where);
}

export function credentialFile(dir: string, username: string): string {
  return path.join(dir, `${username}.env`);
}

/** Writes (or replaces) a file only its owner can read, in a directory only its owner can list (if it creates it). */
export function writeSecretFile(file: string, text: string): void {
  const dir = path.dirname(file);
  if (!existsSync(dir)) {
    // Only the file's own folder is private: a recursive mkdir would make every missing parent 0700 too,
    // hiding sibling folders (the broker's configuration) from the broker's user.
    mkdirSync(path.dirname(dir), { recursive: true });
    mkdirSync(dir, { mode: 0o700 });
  }
  // A fresh file renamed over the old one: an existing file's wider mode is never kept.
  const fresh = `${file}.${process.pid}.tmp`;
  writeFileSync(fresh, text, { mode: 0o600, flag: 'wx' });
  renameSync(fresh, file);
}

/** Writes (or replaces) `<dir>/<username>.env` with mode 0600; returns its path. */
export function writeCredentialFile(dir: string, credential: BrokerCredential): string {
  const file = credentialFile(dir, credential.identity.username);
  writeSecretFile(file, `MQTT_USERNAME=${credential.identity.username}\nMQTT_PASSWORD=${credential.password}\n`);
  return file;
}

/** Reads and checks `<dir>/<username>.env`; undefined when there is none. */
export function readCredentialFile(dir: string, identity: BrokerIdentity): BrokerCredential | undefined {
  const file = credentialFile(dir, identity.username);
  if (!existsSync(file)) return undefined;
  const values = new Map<string, { value: string; line: number }>();
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const m = /^\s*([A-Z_]+)=(.*)$/.exec(text);
      if (m) values.set(m[1]!, { value: m[2]!, line: i + 1 });
      else if (text.trim() && !text.trim().startsWith('#')) throw new VigilError('VGL_CONFIG_INVALID', 'expected KEY=value', { file, line: i + 1 });
    });
  const username = values.get('MQTT_USERNAME');
  if (username?.value !== identity.username) {
    throw new VigilError('VGL_CONFIG_INVALID', `MQTT_USERNAME must be ${identity.username}`, { file, ...(username ? { line: username.line } : {}), field: 'MQTT_USERNAME' });
  }
  const password = values.get('MQTT_PASSWORD');
  if (!password) throw new VigilError('VGL_CONFIG_INVALID', 'MQTT_PASSWORD is missing', { file, field: 'MQTT_PASSWORD' });
  checkSecret(password.value, { file, line: password.line, field: 'MQTT_PASSWORD' });
  return { identity, password: password.value };
}

export interface ResolvedCredentials {
  credentials: BrokerCredential[];
  /** Files written with new secrets (only with `generate`). */
  generated: string[];
}

/**
 * The credential of every identity, from its file in `dir`; identities without one get a generated secret
 * when `generate` is set, and otherwise fail with VGL_CONFIG_INVALID naming every missing file.
 */
export function resolveCredentials(identities: readonly BrokerIdentity[], dir: string, generate: boolean): ResolvedCredentials {
  const missing = identities.filter((identity) => !existsSync(credentialFile(dir, identity.username)));
  if (missing.length > 0 && !generate) {
    const files = missing.map((identity) => credentialFile(dir, identity.username)).join(', ');
    throw new VigilError('VGL_CONFIG_INVALID', `no credentials for ${missing.map((i) => i.username).join(', ')}: write ${files} (MQTT_USERNAME=, MQTT_PASSWORD=) or pass --generate`, { file: dir });
  }
  const generated = generateCredentials(missing).map((credential) => writeCredentialFile(dir, credential));
  const credentials = identities.map((identity) => readCredentialFile(dir, identity)!);
  return { credentials, generated };
}
