/**
 * docker-compose.yml cannot run here (no Docker engine), so it is checked against the code: every
 * service has a pinned image, Vigil services run commands the CLI has, set only env vars the config
 * schema reads, take every secret from the operator (compose refuses to start without it), and point
 * at services that exist on the ports those services listen on.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { ChatopsSettingsSchema, loadChatopsSettings } from '../../src/chatops/chatops-settings';
import { ConfigSchema, loadConfig } from '../../src/config';
import { ActionSettingsSchema } from '../../activities/action-settings';
import { projectRoot } from '../../src/project-root';
import { clusterSettings } from '../../src/temporal/local-cluster';
import { secretVariables } from '../helpers/secret-variables';
import { runVigil } from '../helpers/vigil-process';

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  env_file?: string[];
  volumes?: string[];
  depends_on?: Record<string, unknown> | string[];
  deploy?: { replicas?: number };
  ports?: string[];
}

interface Compose {
  services: Record<string, Service>;
}

/**
 * Compose's variable interpolation (reference: docs.docker.com/compose/how-tos/environment-variables/
 * variable-interpolation): `${VAR}`, `${VAR:-default}`, `${VAR:?error}` (unset or empty is an error), `$$`.
 */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g, (whole, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (whole === '$$') return '$';
    const value = env[name!];
    if (value) return value;
    if (op === ':?') throw new Error(`required variable ${name} is missing a value: ${arg}`);
    return op === ':-' ? arg! : '';
  });
}

const composeText = readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8');
const raw = parse(composeText, { merge: true }) as Compose;
/** What the operator puts in .env: a real value for every secret compose asks for. */
const operatorEnv: Record<string, string> = {
  VIGIL_API_TOKENS: `alice=${randomBytes(32).toString('hex')}`,
  VIGIL_SLACK_SIGNING_SECRET: randomBytes(16).toString('hex'),
  VIGIL_WEBHOOK_SECRET: randomBytes(32).toString('hex'),
  VIGIL_CODEC_TOKEN: randomBytes(32).toString('hex'),
  VIGIL_K8S_AUDIT_TOKEN: randomBytes(32).toString('hex'),
  MQTT_PASSWORD: randomBytes(24).toString('hex'),
};
const compose = parse(interpolate(composeText, operatorEnv), { merge: true }) as Compose;
const services = compose.services;
const vigilServices = Object.entries(services).filter(([name]) => name.startsWith('vigil-'));

test('every service has a pinned image (no :latest)', () => {
  for (const [name, svc] of Object.entries(services)) {
    expect([name, svc.image]).toEqual([name, expect.stringMatching(/^[\w./-]+:[\w.-]+$/)]);
    expect(svc.image).not.toMatch(/:latest$/);
  }
});

test('Vigil services set only env vars the config schema reads, and values the schema accepts', () => {
  const known = new Set([...Object.keys(ConfigSchema.shape), ...Object.keys(ActionSettingsSchema.shape), ...Object.keys(ChatopsSettingsSchema.shape)]);
  for (const [name, svc] of vigilServices) {
    for (const key of Object.keys(svc.environment ?? {})) expect([name, key, known.has(key)]).toEqual([name, key, true]);
    expect(() => loadConfig(svc.environment ?? {})).not.toThrow();
    expect(() => loadChatopsSettings(svc.environment ?? {})).not.toThrow();
  }
});

test('no secret is in the file: each one is `${VAR:?…}`, so compose refuses to start until the operator sets it', () => {
  let secretsSet = 0;
  for (const [name, svc] of Object.entries(raw.services).filter(([n]) => n.startsWith('vigil-'))) {
    for (const variable of secretVariables) {
      const value = svc.environment?.[variable];
      if (value === undefined) continue;
      secretsSet += 1;
      expect([name, variable, value]).toEqual([name, variable, expect.stringMatching(new RegExp(`^\\$\\{${variable}:\\?.+\\}$`))]);
    }
  }
  expect(secretsSet).toBeGreaterThan(0);
  for (const variable of secretVariables.filter((v) => composeText.includes(`\${${v}:?`))) {
    expect(() => interpolate(composeText, { ...operatorEnv, [variable]: '' })).toThrow(new RegExp(`required variable ${variable} `));
  }
});

test('Vigil service commands are real CLI commands', () => {
  for (const [name, svc] of vigilServices) {
    const command = svc.command?.[0];
    expect([name, command]).toEqual([name, expect.any(String)]);
    const help = runVigil([command!, '--help'], {});
    expect([name, help.status]).toEqual([name, 0]);
    for (const flag of (svc.command ?? []).slice(1).filter((a) => a.startsWith('--'))) expect(help.stdout).toContain(flag);
  }
});

test('addresses point at services that exist, on the ports they listen on', () => {
  const hostPort = (value: string): [string, string] => {
    const m = /^(?:\w+:\/\/)?([^:/]+):(\d+)/.exec(value)!;
    return [m[1]!, m[2]!];
  };
  for (const [, svc] of vigilServices) {
    const env = svc.environment!;
    expect(hostPort(env.TEMPORAL_ADDRESS!)).toEqual(['temporal', '7233']);
    expect(hostPort(env.MQTT_URL!)).toEqual(['mosquitto', '1883']);
    for (const dep of Object.keys(svc.depends_on ?? {})) expect(Object.keys(services)).toContain(dep);
  }
  expect(hostPort(services['temporal-ui']!.environment!.TEMPORAL_ADDRESS!)).toEqual(['temporal', '7233']);
  expect(services['temporal-ui']!.environment!.TEMPORAL_CODEC_ENDPOINT).toBe(`http://localhost:${services['vigil-codec']!.environment!.VIGIL_CODEC_PORT}`);
  expect(services.temporal!.environment!.DB).toBe('postgres12');
  expect(services.temporal!.environment!.POSTGRES_SEEDS).toBe('postgresql');
});

test('the multi-node shape: several ingest and worker replicas, ingest on a shared subscription', () => {
  expect(services['vigil-worker']!.deploy!.replicas).toBeGreaterThanOrEqual(2);
  expect(services['vigil-ingest']!.deploy!.replicas).toBeGreaterThanOrEqual(2);
  expect(services['vigil-ingest']!.environment!.VIGIL_INGEST_GROUP).not.toBe('');
});

test('Mosquitto runs what `vigil broker config --docker` writes: anonymous refused, files where the broker reads them, ingest logged in', () => {
  const ingest = services['vigil-ingest']!;
  const out = mkdtempSync(path.join(tmpdir(), 'vigil-compose-broker-'));
  const generated = runVigil(['broker', 'config', '--out', out, '--docker', '--generate'], ingest.environment!);
  expect([generated.status, generated.stderr]).toEqual([0, '']);

  // The compose file mounts <deploy>/mosquitto at the image's config folder and gives ingest <deploy>/credentials/ingest.env.
  const mounts = new Map(services.mosquitto!.volumes!.map((v) => v.split(':') as [string, string]).map(([source, target]) => [target, source]));
  const configSource = mounts.get('/mosquitto/config')!;
  expect(configSource).toMatch(/^\.\/[\w-]+\/mosquitto$/);
  const deployDir = configSource.slice(2, -'/mosquitto'.length);
  expect(ingest.env_file).toEqual([`${deployDir}/credentials/ingest.env`]);
  expect(existsSync(path.join(out, 'credentials', 'ingest.env'))).toBe(true);

  const conf = readFileSync(path.join(out, 'mosquitto', 'mosquitto.conf'), 'utf8');
  const setting = (key: string): string => new RegExp(`^${key} (.*)$`, 'm').exec(conf)![1]!;
  expect(setting('allow_anonymous')).toBe('false');
  expect(setting('listener')).toBe(`${new URL(ingest.environment!.MQTT_URL!).port} 0.0.0.0`);
  for (const key of ['password_file', 'plugin_opt_config_file']) {
    const file = setting(key);
    expect(path.posix.dirname(file)).toBe('/mosquitto/config');
    expect(existsSync(path.join(out, 'mosquitto', path.posix.basename(file)))).toBe(true);
  }
  expect(mounts.get('/mosquitto/data')).toBe('mosquitto-data');
  expect(setting('persistence_location')).toBe('/mosquitto/data/');
});

test('Temporal runs the server version, shard count, retention and dynamic config of ops/temporal/cluster.sh', () => {
  const settings = clusterSettings();
  const temporal = services.temporal!;
  expect(settings.TEMPORAL_SERVER_VERSION).toMatch(/^v\d+\.\d+\.\d+$/);
  expect(temporal.image!.split(':')[1]).toBe(settings.TEMPORAL_SERVER_VERSION!.slice(1));
  expect(temporal.environment!.NUM_HISTORY_SHARDS).toBe(settings.TEMPORAL_HISTORY_SHARDS);
  expect(temporal.environment!.DEFAULT_NAMESPACE_RETENTION).toBe(settings.TEMPORAL_NAMESPACE_RETENTION);

  // The same dynamic config file, mounted where the image's config template reads it from.
  const mounts = new Map(temporal.volumes!.map((v) => v.split(':') as [string, string, string?]).map(([source, target]) => [target, source]));
  expect(mounts.get(temporal.environment!.DYNAMIC_CONFIG_FILE_PATH!)).toBe('./ops/temporal/dynamicconfig.yaml');
  const dynamic = parse(readFileSync(path.join(projectRoot, 'ops', 'temporal', 'dynamicconfig.yaml'), 'utf8')) as Record<string, unknown>;
  expect(Object.keys(dynamic).length).toBeGreaterThan(0);
  for (const [key, values] of Object.entries(dynamic)) expect([key, values]).toEqual([key, [expect.objectContaining({ value: expect.anything() })]]);

  // The script builds that version and reads the same settings file.
  const script = readFileSync(path.join(projectRoot, 'ops', 'temporal', 'cluster.sh'), 'utf8');
  expect(script).toContain('go.temporal.io/server/cmd/server@$VERSION');
  expect(script).toContain('. "$HERE/settings.env"');
  expect(script).toContain('filepath: "$HERE/dynamicconfig.yaml"');
});
