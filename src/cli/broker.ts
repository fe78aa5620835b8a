/**
 * `vigil broker config`: writes the Mosquitto configuration that isolates tenants (mosquitto-config.ts)
 * for the tenants in VIGIL_TENANTS, and the credentials file of each identity. Secrets come from existing
 * credentials files; `--generate` makes strong random ones for identities that have none. Nothing weak
 * or default is ever written.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { VigilError } from '../error-codes';
import { brokerIdentities, grantsFor } from '../mqtt/broker-policy';
import { credentialFile, resolveCredentials, writeSecretFile } from '../mqtt/broker-credentials';
import { MOSQUITTO_CONF, mosquittoConfText, PASSWORD_FILE, passwordFileText, POLICY_FILE, policyFileText, type MosquittoLayout } from '../mqtt/mosquitto-config';
import { writeLine } from './cli-io';
import { parseListen } from '../auth/listen-address';

interface ConfigOptions {
  out: string;
  credentials?: string;
  generate?: boolean;
  docker?: boolean;
  listen?: string;
  configDir?: string;
  persistenceDir?: string;
  dynsecPlugin?: string;
}

/** Where the eclipse-mosquitto:2 image (docker-compose.yml) has things. */
const dockerLayout = { listen: '0.0.0.0:1883', configDir: '/mosquitto/config', persistenceDir: '/mosquitto/data', dynsecPlugin: '/usr/lib/mosquitto_dynamic_security.so' };
/** Where distributions install the dynamic-security plugin (Debian/Ubuntu multiarch, then plain prefixes). */
const pluginCandidates = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib', '/usr/local/lib'].map((dir) => `${dir}/mosquitto_dynamic_security.so`);

function layoutFor(opts: ConfigOptions, mosquittoDir: string): MosquittoLayout {
  const { host, port } = parseListen(opts.listen ?? (opts.docker ? dockerLayout.listen : '127.0.0.1:1883'));
  const dynsecPlugin = opts.dynsecPlugin ?? (opts.docker ? dockerLayout.dynsecPlugin : pluginCandidates.find((p) => existsSync(p)));
  if (!dynsecPlugin) {
    throw new VigilError('VGL_CONFIG_INVALID', `mosquitto_dynamic_security.so not found in ${pluginCandidates.join(', ')}: pass its path`, { field: '--dynsec-plugin' });
  }
  return {
    configDir: opts.configDir ?? (opts.docker ? dockerLayout.configDir : path.resolve(mosquittoDir)),
    persistenceDir: opts.persistenceDir ?? (opts.docker ? dockerLayout.persistenceDir : '/var/lib/mosquitto'),
    listenHost: host,
    listenPort: port,
    dynsecPlugin,
  };
}

export function registerBrokerCommands(program: Command): void {
  const broker = program.command('broker').description('MQTT broker security: identities, passwords and per-tenant access rules');

  broker
    .command('config')
    .description('Write a Mosquitto 2.0 configuration (password file, access policy, mosquitto.conf) isolating the tenants in VIGIL_TENANTS, and each identity\'s credentials')
    .requiredOption('--out <dir>', 'writes <dir>/mosquitto/ (for the broker) and <dir>/credentials/ (one <username>.env per identity)')
    .option('--credentials <dir>', 'read and write credentials files here instead of <out>/credentials')
    .option('--generate', 'make a strong random secret for every identity without a credentials file')
    .option('--docker', 'paths and listener of the eclipse-mosquitto:2 image (docker-compose.yml)')
    .option('--listen <host:port>', 'broker listener (default 127.0.0.1:1883; --docker 0.0.0.0:1883)')
    .option('--config-dir <dir>', 'where the broker reads the generated files (default <out>/mosquitto; --docker /mosquitto/config)')
    .option('--persistence-dir <dir>', 'broker persistence location (default /var/lib/mosquitto; --docker /mosquitto/data)')
    .option('--dynsec-plugin <path>', 'path of mosquitto_dynamic_security.so on the broker\'s machine (default: found locally; --docker /usr/lib/...)')
    .action((opts: ConfigOptions) => {
      const config = loadConfig();
      const mosquittoDir = path.join(opts.out, 'mosquitto');
      const credentialsDir = opts.credentials ?? path.join(opts.out, 'credentials');
      const layout = layoutFor(opts, mosquittoDir);
      const identities = brokerIdentities(config.VIGIL_TENANTS);
      const { credentials, generated } = resolveCredentials(identities, credentialsDir, opts.generate === true);

      mkdirSync(mosquittoDir, { recursive: true });
      writeSecretFile(path.join(mosquittoDir, PASSWORD_FILE), passwordFileText(credentials));
      writeFileSync(path.join(mosquittoDir, POLICY_FILE), policyFileText(identities, config.VIGIL_INGEST_GROUP));
      writeFileSync(path.join(mosquittoDir, MOSQUITTO_CONF), mosquittoConfText(layout, config.VIGIL_TENANTS, config.VIGIL_INGEST_WINDOW));

      writeLine(`Mosquitto configuration for tenants ${config.VIGIL_TENANTS.join(', ')} (anonymous access refused):`);
      writeLine(`  ${path.join(mosquittoDir, MOSQUITTO_CONF)}   listener ${layout.listenHost}:${layout.listenPort}`);
      writeLine(`  ${path.join(mosquittoDir, PASSWORD_FILE)}   mode 0600, $7$ PBKDF2-SHA512 hashes`);
      writeLine(`  ${path.join(mosquittoDir, POLICY_FILE)}   who may do what (dynamic-security plugin), no secrets`);
      writeLine('Credentials, one MQTT_USERNAME/MQTT_PASSWORD file per identity (mode 0600):');
      for (const identity of identities) {
        const file = credentialFile(credentialsDir, identity.username);
        const grants = grantsFor(identity, config.VIGIL_INGEST_GROUP).map((g) => `${g.access} ${g.filter}`);
        writeLine(`  ${file}${generated.includes(file) ? ' (generated)' : ''}: ${grants.join('; ')}`);
      }
      writeLine(
        opts.docker
          ? 'The eclipse-mosquitto image\'s entrypoint hands the mounted files to its mosquitto user.'
          : `Mosquitto reads these files after dropping to its own user: chown mosquitto ${path.join(mosquittoDir, '*')}`,
      );
    });
}
