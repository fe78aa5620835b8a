/** A Temporal Client with Vigil's data converter, for ingest, the CLI and tests. */
import { Client, Connection } from '@temporalio/client';
import { dataConverter } from './data-converter';

export async function connectClient(address: string, namespace: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace, dataConverter });
}
