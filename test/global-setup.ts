/**
 * One Temporal dev server and one Mosquitto for the whole run (tests isolate themselves with unique
 * tenants, task queues and workflow ids). Tests that need special server settings start their own.
 * Addresses reach tests through env vars: VIGIL_TEST_TEMPORAL_ADDRESS, VIGIL_TEST_MQTT_URL; files the
 * run builds once (workflow bundles, test/helpers/workflow-bundles.ts) go to VIGIL_TEST_RUN_DIR.
 * VIGIL_TEST_TEMPORAL_ADDRESS set before the run points the shared tests at that Temporal instead of a dev
 * server (e.g. the production-like cluster of ops/temporal/cluster.sh); Vigil's search attributes are
 * registered there, as a worker would.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto';
import { startTemporalServer } from './helpers/temporal-env';
import { connectClient } from '../src/temporal/client';
import type { DevServer } from '../src/temporal/dev-server';
import { registerSearchAttributes } from '../src/temporal/register-search-attributes';

declare global {
  var __vigilTestServers: { temporal?: DevServer; mosquitto: Mosquitto; runDir: string } | undefined;
}

/** Registers Vigil's search attributes on an existing server; nothing to stop afterwards. */
async function useExistingTemporal(address: string): Promise<undefined> {
  const client = await connectClient(address, 'default');
  try {
    await registerSearchAttributes(client.connection, 'default', pino({ level: 'warn' }));
  } finally {
    await client.connection.close();
  }
  return undefined;
}

export default async function globalSetup(): Promise<void> {
  const runDir = mkdtempSync(path.join(tmpdir(), 'vigil-test-run-'));
  const existing = process.env.VIGIL_TEST_TEMPORAL_ADDRESS;
  const [temporal, mosquitto] = await Promise.all([existing ? useExistingTemporal(existing) : startTemporalServer(), startMosquitto()]);
  globalThis.__vigilTestServers = { temporal, mosquitto, runDir };
  if (temporal) process.env.VIGIL_TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.VIGIL_TEST_MQTT_URL = mosquitto.url;
  process.env.VIGIL_TEST_RUN_DIR = runDir;
}
