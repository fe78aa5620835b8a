/**
 * Mosquitto running the configuration `vigil broker config --generate` writes for `tenants`: MQTT 5, one login per
 * identity (ingest, operators, a collector per tenant), each allowed only its own topics.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brokerIdentities } from '../../src/mqtt/broker-policy';
import { readCredentialFile, type BrokerCredential } from '../../src/mqtt/broker-credentials';
import { mosquittoPlace, startMosquitto } from './mosquitto';
import { runVigil } from './vigil-process';

export interface GeneratedMosquitto {
  url: string;
  /** The generated credentials files (`<username>.env`), as `vigil loadgen --credentials` reads them. */
  credentialsDir: string;
  credentials: BrokerCredential[];
  stop(): Promise<void>;
}

export async function startGeneratedMosquitto(tenants: readonly string[], shareGroup: string): Promise<GeneratedMosquitto> {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-broker-config-')), 'deploy');
  // The broker, once it has dropped root, must reach the files under it: the generator creates `deploy` itself.
  chmodSync(path.dirname(out), 0o755);
  const { port, dataDir } = await mosquittoPlace();
  const generated = runVigil(['broker', 'config', '--out', out, '--generate', '--listen', `127.0.0.1:${port}`, '--persistence-dir', dataDir], {
    VIGIL_TENANTS: tenants.join(','),
    VIGIL_INGEST_GROUP: shareGroup,
  });
  if (generated.status !== 0 || generated.stderr !== '') throw new Error(`vigil broker config failed (${generated.status}): ${generated.stderr}`);
  const credentialsDir = path.join(out, 'credentials');
  const credentials = brokerIdentities(tenants).map((identity) => readCredentialFile(credentialsDir, identity)!);
  const broker = await startMosquitto({ config: { file: path.join(out, 'mosquitto', 'mosquitto.conf'), port } });
  return { url: broker.url, credentialsDir, credentials, stop: broker.stop };
}
