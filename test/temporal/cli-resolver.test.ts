/**
 * The Temporal CLI resolver's order — TEMPORAL_CLI, PATH, the project cache, go install — with real
 * executables in temporary folders (the go step is exercised with a stand-in `go` that records its
 * arguments and writes the binary, as `go install` does).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cachedCliPath, resolveTemporalCli, TEMPORAL_CLI_VERSION } from '../../src/temporal/cli-resolver';
import { VigilError } from '../../src/error-codes';
import { testLogger } from '../helpers/temporal-env';

function executable(dir: string, name: string, body = 'exit 0'): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'vigil-resolver-'));

test('TEMPORAL_CLI wins over PATH and cache; a non-executable value is a clear error', async () => {
  const dir = tmp();
  const explicit = executable(path.join(dir, 'x'), 'temporal');
  const onPath = executable(path.join(dir, 'bin'), 'temporal');
  const env = { TEMPORAL_CLI: explicit, PATH: path.dirname(onPath) };
  await expect(resolveTemporalCli({ env, cacheDir: dir, logger: testLogger })).resolves.toEqual({ type: 'existing-path', path: explicit, origin: 'env' });
  await expect(resolveTemporalCli({ env: { TEMPORAL_CLI: path.join(dir, 'missing') }, cacheDir: dir, logger: testLogger })).rejects.toThrow(VigilError);
});

test('PATH before the cache; the cache before building', async () => {
  const dir = tmp();
  const cached = cachedCliPath(dir);
  executable(path.dirname(cached), 'temporal');
  const onPath = executable(path.join(dir, 'bin'), 'temporal');
  await expect(resolveTemporalCli({ env: { PATH: path.dirname(onPath) }, cacheDir: dir, logger: testLogger })).resolves.toMatchObject({ path: onPath, origin: 'path' });
  await expect(resolveTemporalCli({ env: { PATH: path.join(dir, 'empty') }, cacheDir: dir, logger: testLogger })).resolves.toMatchObject({ path: cached, origin: 'cache' });
});

test('builds with go install into the cache, pinned, when nothing is found', async () => {
  const dir = tmp();
  const log = path.join(dir, 'go-args');
  // A stand-in for go: records its arguments and GOBIN, then creates the binary where go install would.
  const goDir = path.join(dir, 'go');
  executable(goDir, 'go', `echo "$@ GOBIN=$GOBIN" > ${log}\nprintf '#!/bin/sh\\n' > "$GOBIN/temporal"\nchmod +x "$GOBIN/temporal"`);
  const exe = await resolveTemporalCli({ env: { PATH: goDir }, cacheDir: dir, logger: testLogger });
  expect(exe).toEqual({ type: 'existing-path', path: cachedCliPath(dir), origin: 'built' });
  expect(readFileSync(log, 'utf8').trim()).toBe(`install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION} GOBIN=${path.dirname(cachedCliPath(dir))}`);
  expect(existsSync(cachedCliPath(dir))).toBe(true);
});
