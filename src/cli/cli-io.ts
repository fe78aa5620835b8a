/** What one-shot CLI commands share: a line writer for stdout and a Temporal client for the call's duration. */
import type { Client } from '@temporalio/client';
import { loadConfig } from '../config';
import { connectClient } from '../temporal/client';

export function writeLine(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Connects to TEMPORAL_ADDRESS (default: the local dev server's port), runs `fn`, closes the connection. */
export async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const client = await connectClient(config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`, config.TEMPORAL_NAMESPACE);
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}
