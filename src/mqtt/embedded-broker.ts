/**
 * The in-process MQTT broker `vigil dev` starts when MQTT_URL is not set (aedes, MQTT 3.1.1: no shared
 * subscriptions, so a single ingest consumes everything). Production uses a real broker (Mosquitto, EMQX...).
 */
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(port: number, logger: Logger, host = '127.0.0.1'): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  broker.on('clientError', (client, err) => logger.debug({ client: client.id, err: err.message }, 'mqtt client error'));
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  logger.info({ port: actualPort }, 'in-process MQTT broker listening');
  return {
    url: `mqtt://${host}:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}
