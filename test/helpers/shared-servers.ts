/** The run-wide Temporal server and Mosquitto started by test/global-setup.ts. */
import { Client } from '@temporalio/client';
import { connectClient } from '../../src/temporal/client';

export function sharedTemporalAddress(): string {
  const address = process.env.VIGIL_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('VIGIL_TEST_TEMPORAL_ADDRESS unset: run through jest (test/global-setup.ts)');
  return address;
}

export function sharedMqttUrl(): string {
  const url = process.env.VIGIL_TEST_MQTT_URL;
  if (!url) throw new Error('VIGIL_TEST_MQTT_URL unset: run through jest (test/global-setup.ts)');
  return url;
}

export function sharedClient(): Promise<Client> {
  return connectClient(sharedTemporalAddress(), 'default');
}

/** A tenant id unique to this test run, so tests never see each other's workflows. */
export function uniqueTenant(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
}

/**
 * Polls `probe` until it returns a value (not undefined) or the deadline passes. Each probe is bounded
 * too: a Temporal query can block while the workflow's task is pending, and one stuck probe must not
 * hang the test past its deadline.
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const bound = Math.max(1000, Math.min(10_000, deadline - Date.now()));
      let timer: NodeJS.Timeout | undefined;
      const value = await Promise.race([
        probe(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`probe took over ${bound} ms`)), bound))),
      ]).finally(() => clearTimeout(timer));
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
