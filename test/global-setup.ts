/**
 * One Temporal dev server and one Mosquitto for the whole run (tests isolate themselves with unique
 * tenants, task queues and workflow ids). Tests that need special server settings start their own.
 * Addresses reach tests through env vars: VIGIL_TEST_TEMPORAL_ADDRESS, VIGIL_TEST_MQTT_URL; files the
 * run builds once (workflow bundles, test/helpers/workflow-bundles.ts) go to VIGIL_TEST_RUN_DIR.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto';
import { startTemporalServer } from './helpers/temporal-env';
import type { DevServer } from '../src/temporal/dev-server';

declare global {
  var __vigilTestServers: { temporal: DevServer; mosquitto: Mosquitto; runDir: string } | undefined;
}

export default async function globalSetup(): Promise<void> {
  const runDir = mkdtempSync(path.join(tmpdir(), 'vigil-test-run-'));
  const [temporal, mosquitto] = await Promise.all([startTemporalServer(), startMosquitto()]);
  globalThis.__vigilTestServers = { temporal, mosquitto, runDir };
  process.env.VIGIL_TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.VIGIL_TEST_MQTT_URL = mosquitto.url;
  process.env.VIGIL_TEST_RUN_DIR = runDir;
}
