/**
 * The embedded broker (aedes, an ES module jest cannot load in-process) run from the compiled code in a
 * child process, as `vigil dev` runs it, with the credentials the test chose.
 */
import { spawn } from 'node:child_process';
import type { BrokerCredential } from '../../src/mqtt/broker-credentials';
import { compiledPath } from '../../src/project-root';

export interface EmbeddedBrokerProcess {
  url: string;
  stop(): Promise<void>;
}

const script = `
const { startEmbeddedBroker } = require(process.env.VIGIL_TEST_BROKER_MODULE);
const logger = require('pino')({ level: 'silent' });
startEmbeddedBroker({ port: 0, credentials: JSON.parse(process.env.VIGIL_TEST_BROKER_CREDENTIALS), logger })
  .then((broker) => process.stdout.write(broker.url + '\\n'));
`;

export async function startEmbeddedBrokerProcess(credentials: readonly BrokerCredential[]): Promise<EmbeddedBrokerProcess> {
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, VIGIL_TEST_BROKER_MODULE: compiledPath('src/mqtt/embedded-broker'), VIGIL_TEST_BROKER_CREDENTIALS: JSON.stringify(credentials) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      const line = /^(mqtt:\/\/\S+)\n/.exec(output);
      if (line) resolve(line[1]!);
    });
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => reject(new Error(`embedded broker exited (${code}): ${output}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
