/**
 * Finds the Temporal CLI (which embeds the dev server and UI) for `vigil dev`, the tests and CI.
 *
 * Resolution order, first hit wins:
 *   1. `TEMPORAL_CLI` env var (path to a binary);
 *   2. `temporal` on PATH;
 *   3. the project cache `<cacheDir>/temporal/<version>/bin/temporal`;
 *   4. build it into that cache with `go install` (the CLI's download site is not reachable everywhere;
 *      v1.5.1 is the newest tag `go install` accepts, see shared/notes/temporal.md §1);
 *   5. let @temporalio/testing download it (machines with internet only).
 * When all fail the error names what to install.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { VigilError } from '../error-codes';
import { projectRoot } from '../project-root';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

export type TemporalExecutable =
  | { type: 'existing-path'; path: string; origin: 'env' | 'path' | 'cache' | 'built' }
  | { type: 'cached-download'; origin: 'download' };

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** Root of the project's cache; default `<project>/.cache` or `VIGIL_CACHE_DIR`. */
  cacheDir?: string;
  /** Allow step 4 (go install). Default true. */
  allowBuild?: boolean;
  logger: Logger;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

export function cachedCliPath(cacheDir: string): string {
  return path.join(cacheDir, 'temporal', TEMPORAL_CLI_VERSION, 'bin', 'temporal');
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.VIGIL_CACHE_DIR ?? path.join(projectRoot, '.cache');
}

/** Runs `go install` into the cache, streaming Go's progress lines to the logger. */
async function buildWithGo(goBinary: string, target: string, logger: Logger): Promise<void> {
  const gobin = path.dirname(target);
  mkdirSync(gobin, { recursive: true });
  logger.info({ package: GO_PACKAGE, into: gobin }, 'building the Temporal CLI with go install (first build takes a few minutes)');
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(goBinary, ['install', GO_PACKAGE], {
      env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let downloads = 0;
    let tail = '';
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) {
        if (line.startsWith('go: downloading')) {
          downloads += 1;
          if (downloads % 25 === 0) logger.info({ modulesDownloaded: downloads }, 'go install: downloading modules');
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const ticker = setInterval(
      () => logger.info({ seconds: Math.round((Date.now() - started) / 1000) }, 'go install: still building the Temporal CLI'),
      30_000,
    );
    child.on('error', (err) => {
      clearInterval(ticker);
      reject(err);
    });
    child.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) resolve();
      else reject(new Error(`go install exited with ${code}: ${tail.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
  logger.info({ seconds: Math.round((Date.now() - started) / 1000), binary: target }, 'Temporal CLI built');
}

function internetReachable(): boolean {
  // @temporalio/testing downloads from temporal.download; probe it quickly instead of failing later inside the SDK.
  const probe = spawnSync(process.execPath, ['-e', "fetch('https://temporal.download',{method:'HEAD'}).then(()=>process.exit(0),()=>process.exit(1))"], {
    timeout: 5000,
  });
  return probe.status === 0;
}

export async function resolveTemporalCli(options: ResolveOptions): Promise<TemporalExecutable> {
  const env = options.env ?? process.env;
  const { logger } = options;
  if (env.TEMPORAL_CLI) {
    if (!isExecutable(env.TEMPORAL_CLI)) {
      throw new VigilError('VGL_TEMPORAL_CLI_NOT_FOUND', `TEMPORAL_CLI=${env.TEMPORAL_CLI} is not an executable file`, { field: 'TEMPORAL_CLI' });
    }
    return { type: 'existing-path', path: env.TEMPORAL_CLI, origin: 'env' };
  }
  const fromPath = onPath('temporal', env);
  if (fromPath) return { type: 'existing-path', path: fromPath, origin: 'path' };

  const cached = cachedCliPath(options.cacheDir ?? defaultCacheDir(env));
  if (isExecutable(cached)) return { type: 'existing-path', path: cached, origin: 'cache' };

  const go = onPath('go', env) ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  let buildError: string | undefined;
  if (go && options.allowBuild !== false) {
    try {
      await buildWithGo(go, cached, logger);
      return { type: 'existing-path', path: cached, origin: 'built' };
    } catch (err) {
      buildError = (err as Error).message;
      logger.warn({ err: buildError }, 'building the Temporal CLI failed; trying the SDK download');
    }
  }
  if (internetReachable()) return { type: 'cached-download', origin: 'download' };
  throw new VigilError(
    'VGL_TEMPORAL_CLI_NOT_FOUND',
    `no Temporal CLI: set TEMPORAL_CLI to a temporal ${TEMPORAL_CLI_VERSION} binary, put 'temporal' on PATH, ` +
      `or install Go ≥ 1.25 so Vigil can run 'go install ${GO_PACKAGE}'` +
      (buildError ? ` (go install failed: ${buildError})` : go ? '' : ' (go not found on PATH)'),
  );
}
