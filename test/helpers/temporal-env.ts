/**
 * A real Temporal dev server for integration tests, started exactly as `vigil dev` starts it (the
 * CLI resolver, then `temporal server start-dev` with Vigil's search attributes registered).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { resolveTemporalCli } from '../../src/temporal/cli-resolver';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';

export const testLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'error' });

export async function temporalCliPath(): Promise<string> {
  const exe = await resolveTemporalCli({ logger: testLogger });
  if (exe.type !== 'existing-path') throw new Error('tests need a local Temporal CLI binary');
  return exe.path;
}

export function startTemporalServer(dynamicConfig?: Record<string, string | number | boolean>, dbFile?: string): Promise<DevServer> {
  return startDevServer({ logger: testLogger, namespace: 'default', dynamicConfig, dbFile });
}

/** Kept for tests that only need the environment (dynamic config as `KEY=VALUE` strings). */
export async function startTemporalEnv(extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  const dynamicConfig: Record<string, string | number | boolean> = {};
  for (let i = 0; i < extraArgs.length; i++) {
    if (extraArgs[i] === '--dynamic-config-value') {
      const [k, v] = extraArgs[++i]!.split('=');
      dynamicConfig[k!] = /^-?\d+(\.\d+)?$/.test(v!) ? Number(v) : v === 'true' || v === 'false' ? v === 'true' : v!;
    }
  }
  return (await startTemporalServer(dynamicConfig)).env;
}
