/**
 * The rsigma peer (bench/peers/rsigma: a small harness around rsigma-eval/rsigma-parser 0.23.0, pinned
 * with its Cargo.lock), built with cargo into .cache/bench-peers (outside git) the first time a
 * benchmark needs it. Without cargo, or when the build fails (no registry access), the peer is
 * skipped and the reason is reported instead of its figures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { projectRoot } from '../../project-root';

const manifest = path.join(projectRoot, 'bench', 'peers', 'rsigma', 'Cargo.toml');
const targetDir = path.join(projectRoot, '.cache', 'bench-peers', 'rsigma');
const binary = path.join(targetDir, 'release', 'vigil-bench-rsigma');

export function buildRsigmaPeer(logger: Logger): { binary: string } | { skipped: string } {
  if (spawnSync('cargo', ['--version']).status !== 0) return { skipped: 'cargo not found on PATH' };
  if (!existsSync(binary)) logger.info({ manifest, targetDir }, 'building the rsigma peer (first time: a few minutes)');
  const build = spawnSync('cargo', ['build', '--release', '--locked', '--quiet', '--manifest-path', manifest], {
    env: { ...process.env, CARGO_TARGET_DIR: targetDir },
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (build.status !== 0 || !existsSync(binary)) {
    const reason = (build.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    return { skipped: `cargo build failed: ${reason || `exit ${build.status}`}` };
  }
  return { binary };
}
