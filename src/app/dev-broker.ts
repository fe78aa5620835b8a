/**
 * The in-process broker of `vigil dev`, with per-run credentials: every identity of the configured tenants
 * gets a fresh random secret, written to `<VIGIL_DATA_DIR>/credentials/<username>.env` (mode 0600) so other
 * processes on this machine (`vigil collect`, `vigil replay`) can log in. Anonymous access is refused.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { brokerIdentities, collectorUsername, INGEST_USERNAME } from '../mqtt/broker-policy';
import { generateCredentials, loginAs, writeCredentialFile } from '../mqtt/broker-credentials';
import { startEmbeddedBroker, type EmbeddedBroker } from '../mqtt/embedded-broker';

export interface MqttLogin {
  username?: string;
  password?: string;
}

export interface DevBroker extends EmbeddedBroker {
  credentialsDir: string;
  ingest: MqttLogin;
  /** The first tenant's collector, which the demo publishes as. */
  demoCollector: MqttLogin;
}

export async function startDevBroker(config: Config, logger: Logger): Promise<DevBroker> {
  const credentials = generateCredentials(brokerIdentities(config.VIGIL_TENANTS));
  const credentialsDir = path.join(config.VIGIL_DATA_DIR, 'credentials');
  for (const credential of credentials) writeCredentialFile(credentialsDir, credential);
  const broker = await startEmbeddedBroker({ port: config.MQTT_PORT, credentials, logger });
  return {
    ...broker,
    credentialsDir,
    ingest: loginAs(credentials, INGEST_USERNAME),
    demoCollector: loginAs(credentials, collectorUsername(config.VIGIL_TENANTS[0]!)),
  };
}
