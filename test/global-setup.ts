/**
 * One Temporal dev server and one Mosquitto for the whole run (tests isolate themselves with unique
 * tenants and workflow ids). Tests that need special server settings start their own.
 * Addresses reach tests through env vars: VIGIL_TEST_TEMPORAL_ADDRESS, VIGIL_TEST_MQTT_URL.
 */
import { startMosquitto, type Mosquitto } from './helpers/mosquitto';
import { startTemporalServer } from './helpers/temporal-env';
import type { DevServer } from '../src/temporal/dev-server';

declare global {
  // eslint-disable-next-line no-var
  var __vigilTestServers: { temporal: DevServer; mosquitto: Mosquitto } | undefined;
}

export default async function globalSetup(): Promise<void> {
  const [temporal, mosquitto] = await Promise.all([startTemporalServer(), startMosquitto()]);
  globalThis.__vigilTestServers = { temporal, mosquitto };
  process.env.VIGIL_TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.VIGIL_TEST_MQTT_URL = mosquitto.url;
}
