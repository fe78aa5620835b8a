/**
 * A real Temporal dev server for integration tests (`temporal server start-dev` via @temporalio/testing),
 * with Vigil's search attributes registered. The binary comes from TEMPORAL_CLI or the project cache
 * that the CLI resolver fills (`.cache/temporal/v1.5.1/bin/temporal`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { vigilSearchAttributes } from '../../src/temporal/search-attributes';

export function temporalCliPath(): string {
  const candidate = process.env.TEMPORAL_CLI ?? path.resolve(__dirname, '../../.cache/temporal/v1.5.1/bin/temporal');
  if (!existsSync(candidate)) throw new Error(`Temporal CLI not found at ${candidate}: set TEMPORAL_CLI or run the CLI resolver`);
  return candidate;
}

export function startTemporalEnv(extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      searchAttributes: [...vigilSearchAttributes],
      extraArgs,
    },
  });
}
