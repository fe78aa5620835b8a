/**
 * `vigil broker config` as an operator runs it: what it writes and with which modes, that it keeps
 * existing secrets, refuses to invent them unasked and refuses weak ones, and that its password hashes
 * are Mosquitto's own format (checked both ways against mosquitto_passwd; the broker itself accepting
 * them is proven in broker-isolation.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashPassword, verifyPassword } from '../../src/mqtt/password-hash';
import { runVigil } from '../helpers/vigil-process';

const env = { VIGIL_TENANTS: 'acme,globex', VIGIL_INGEST_GROUP: 'vigil-ingest' };
const mode = (file: string): number => statSync(file).mode & 0o777;
const passwordIn = (envFile: string): string => /^MQTT_PASSWORD=(.*)$/m.exec(readFileSync(envFile, 'utf8'))![1]!;
const freshOut = (): string => mkdtempSync(path.join(tmpdir(), 'vigil-broker-cli-'));

test('--generate writes the broker files and one 0600 credentials file per identity with a strong random secret', async () => {
  const out = freshOut();
  const r = runVigil(['broker', 'config', '--out', out, '--generate', '--dynsec-plugin', '/opt/dynsec.so'], env);
  expect([r.status, r.stderr]).toEqual([0, '']);

  const creds = path.join(out, 'credentials');
  expect(readdirSync(creds).sort()).toEqual(['collector.acme.env', 'collector.globex.env', 'ingest.env', 'operator.acme.env', 'operator.env', 'operator.globex.env']);
  expect(mode(creds)).toBe(0o700);
  for (const file of readdirSync(creds)) {
    expect([file, mode(path.join(creds, file))]).toEqual([file, 0o600]);
    expect(passwordIn(path.join(creds, file))).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(r.stdout).toContain(`${path.join(creds, file)} (generated)`);
  }
  expect(new Set(readdirSync(creds).map((f) => passwordIn(path.join(creds, f)))).size).toBe(6);

  const passwd = path.join(out, 'mosquitto', 'passwd');
  expect(mode(passwd)).toBe(0o600);
  const lines = readFileSync(passwd, 'utf8').trim().split('\n');
  expect(lines.map((l) => l.split(':')[0])).toEqual(['ingest', 'operator', 'collector.acme', 'operator.acme', 'collector.globex', 'operator.globex']);
  const acme = lines.find((l) => l.startsWith('collector.acme:'))!.slice('collector.acme:'.length);
  expect(acme).toMatch(/^\$7\$\d+\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
  expect(await verifyPassword(passwordIn(path.join(creds, 'collector.acme.env')), acme)).toBe(true);

  const conf = readFileSync(path.join(out, 'mosquitto', 'mosquitto.conf'), 'utf8');
  expect(conf).toContain('listener 1883 127.0.0.1');
  expect(conf).toContain('allow_anonymous false');
  expect(conf).toContain(`password_file ${path.resolve(out, 'mosquitto', 'passwd')}`);
  expect(conf).toContain('plugin /opt/dynsec.so');
  expect(conf).toContain(`plugin_opt_config_file ${path.resolve(out, 'mosquitto', 'dynamic-security.json')}`);
  const policy = JSON.parse(readFileSync(path.join(out, 'mosquitto', 'dynamic-security.json'), 'utf8')) as { clients: object[]; roles: Array<{ rolename: string; acls: object[] }> };
  expect(JSON.stringify(policy)).not.toContain(passwordIn(path.join(creds, 'ingest.env')));
  expect(policy.roles.find((role) => role.rolename === 'collector.acme')!.acls).toEqual([{ acltype: 'publishClientSend', topic: 'vigil/v1/acme/events/+', priority: 0, allow: true }]);
});

test('a second run keeps the existing secrets', () => {
  const out = freshOut();
  runVigil(['broker', 'config', '--out', out, '--generate', '--dynsec-plugin', '/opt/dynsec.so'], env);
  const before = passwordIn(path.join(out, 'credentials', 'ingest.env'));
  const again = runVigil(['broker', 'config', '--out', out, '--dynsec-plugin', '/opt/dynsec.so'], env);
  expect([again.status, again.stderr]).toEqual([0, '']);
  expect(again.stdout).not.toContain('(generated)');
  expect(passwordIn(path.join(out, 'credentials', 'ingest.env'))).toBe(before);
});

test('without --generate, missing credentials are an error naming the files to write', () => {
  const out = freshOut();
  const r = runVigil(['broker', 'config', '--out', out, '--dynsec-plugin', '/opt/dynsec.so'], env);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/^VGL_CONFIG_INVALID: .*no credentials for ingest, operator, collector\.acme/);
  expect(r.stderr).toContain(path.join(out, 'credentials', 'collector.globex.env'));
});

test.each([
  ['short', 'Zq8#rT1!', /too short: a secret needs at least 16 characters/],
  ['placeholder', 'replace-with-a-long-random-token', /looks like a placeholder/],
  ['repetitive', 'abababababababababababab', /repeated pattern/],
])('a %s password in a credentials file is refused with its file and line', (_kind, password, message) => {
  const out = freshOut();
  runVigil(['broker', 'config', '--out', out, '--generate', '--dynsec-plugin', '/opt/dynsec.so'], env);
  const file = path.join(out, 'credentials', 'operator.acme.env');
  writeFileSync(file, `MQTT_USERNAME=operator.acme\nMQTT_PASSWORD=${password}\n`);
  const r = runVigil(['broker', 'config', '--out', out, '--dynsec-plugin', '/opt/dynsec.so'], env);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(new RegExp(`^VGL_CONFIG_INVALID: ${file}:2 field MQTT_PASSWORD: the broker password `));
  expect(r.stderr).toMatch(message);
});

test('a credentials file for another identity is refused', () => {
  const out = freshOut();
  mkdirSync(path.join(out, 'credentials'));
  writeFileSync(path.join(out, 'credentials', 'ingest.env'), 'MQTT_USERNAME=collector.acme\nMQTT_PASSWORD=Vq3mZ8pLw2nR7tX1\n');
  const r = runVigil(['broker', 'config', '--out', out, '--generate', '--dynsec-plugin', '/opt/dynsec.so'], env);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('field MQTT_USERNAME: MQTT_USERNAME must be ingest');
});

test('--docker writes the paths and listener of the eclipse-mosquitto image', () => {
  const out = freshOut();
  runVigil(['broker', 'config', '--out', out, '--generate', '--docker'], env);
  const conf = readFileSync(path.join(out, 'mosquitto', 'mosquitto.conf'), 'utf8');
  for (const line of ['listener 1883 0.0.0.0', 'password_file /mosquitto/config/passwd', 'plugin /usr/lib/mosquitto_dynamic_security.so', 'plugin_opt_config_file /mosquitto/config/dynamic-security.json', 'persistence_location /mosquitto/data/']) {
    expect(conf.split('\n')).toContain(line);
  }
});

test("hashes interoperate with mosquitto_passwd's sha512-pbkdf2 ($7$) both ways", async () => {
  const file = path.join(freshOut(), 'passwd');
  const made = spawnSync('mosquitto_passwd', ['-c', '-b', file, 'alice', 'correct horse battery staple'], { encoding: 'utf8' });
  expect(made.status).toBe(0);
  const theirs = readFileSync(file, 'utf8').trim().slice('alice:'.length);
  expect(theirs).toMatch(/^\$7\$/);
  expect(await verifyPassword('correct horse battery staple', theirs)).toBe(true);
  expect(await verifyPassword('correct horse battery stapler', theirs)).toBe(false);

  // Same password, salt and iterations as mosquitto_passwd used: byte-identical record.
  const [, , iterations, salt] = theirs.split('$');
  expect(hashPassword('correct horse battery staple', Number(iterations), Buffer.from(salt!, 'base64'))).toBe(theirs);
});
