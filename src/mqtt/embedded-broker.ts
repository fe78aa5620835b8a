/**
 * The in-process MQTT broker `vigil dev` starts when MQTT_URL is not set (aedes, MQTT 3.1.1: no shared
 * subscriptions, so a single ingest consumes everything). Production uses a real broker (Mosquitto, EMQX...).
 * It enforces the same identities and rules as a generated Mosquitto configuration (broker-policy.ts):
 * only the given credentials connect (anonymous is refused), and every publish, subscription and delivery
 * is checked. MQTT 3.1.1 has no negative PUBACK, so an unauthorised publish closes the connection.
 */
import { createServer, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import type { Logger } from 'pino';
import type { BrokerCredential } from './broker-credentials';
import { grantsFor, isAllowed, type Grant } from './broker-policy';
import { hashPassword, verifyPassword } from './password-hash';

/** See the `concurrency` comment in startEmbeddedBroker. */
const MAX_PENDING_DELIVERIES = 10_000;

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  port: number;
  host?: string;
  /** Who may connect, as which identity; nobody else can. */
  credentials: readonly BrokerCredential[];
  logger: Logger;
}

interface Session {
  username: string;
  grants: Grant[];
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { logger, host = '127.0.0.1' } = options;
  // Stored as Mosquitto would store them: verified through the same `$7$` records, never compared in clear.
  const accounts = new Map(options.credentials.map((c) => [c.identity.username, { hash: hashPassword(c.password), grants: grantsFor(c.identity, '') }]));
  const sessions = new WeakMap<Client, Session>();
  const allowed = (client: Client | null, access: Grant['access'], topic: string): boolean => {
    const session = client ? sessions.get(client) : undefined;
    const ok = session !== undefined && isAllowed(session.grants, access, topic);
    if (!ok) logger.warn({ client: client?.id, username: session?.username, access, topic }, 'mqtt access denied');
    return ok;
  };

  const broker = await Aedes.createBroker({
    // aedes delivers through one queue with `concurrency` slots, and a delivery to a subscriber whose socket
    // is full holds its slot until the socket drains. Ingest stops reading while its acknowledgement window is
    // full (back-pressure), so with aedes's default of 100 slots every other publish queued behind it, the
    // dead letters ingest itself was waiting for included: a deadlock that only the dead-letter timeout
    // broke (soak bench: dead letters timing out after 10 s). A publisher's PUBACK waits for its deliveries, so pending deliveries
    // are bounded by the publishers' in-flight windows (collectors: 8-16 each); this bound is far above that.
    concurrency: MAX_PENDING_DELIVERIES,
    authenticate: (client, username, password, done) => {
      const account = username === undefined ? undefined : accounts.get(username);
      if (!account || !password) {
        logger.warn({ client: client.id, username }, 'mqtt connection refused: unknown or anonymous');
        return done(null, false);
      }
      verifyPassword(password.toString('utf8'), account.hash).then(
        (ok) => {
          if (ok) sessions.set(client, { username: username!, grants: account.grants });
          else logger.warn({ client: client.id, username }, 'mqtt connection refused: wrong password');
          done(null, ok);
        },
        (err: Error) => {
          logger.error({ client: client.id, username, err: err.message }, 'mqtt password check failed');
          done(null, false);
        },
      );
    },
    authorizePublish: (client, packet, done) => done(allowed(client, 'publish', packet.topic) ? null : new Error(`not authorised to publish to ${packet.topic}`)),
    authorizeSubscribe: (client, subscription, done) => done(null, allowed(client, 'subscribe', subscription.topic) ? subscription : null),
    authorizeForward: (client, packet) => (allowed(client, 'receive', packet.topic) ? packet : null),
  });
  broker.on('clientError', (client, err) => logger.debug({ client: client.id, err: err.message }, 'mqtt client error'));
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : options.port;
  logger.info({ port: actualPort, identities: accounts.size }, 'in-process MQTT broker listening');
  return {
    url: `mqtt://${host}:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}
