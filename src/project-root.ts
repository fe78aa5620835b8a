/**
 * Locates the project's own files at run time. Code runs both compiled (dist/src/...) and from
 * TypeScript source under ts-jest (src/...), so paths are resolved from the directory holding
 * package.json rather than from __dirname.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'tsconfig.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no project root above ${start}`);
    dir = parent;
  }
}

export const projectRoot = findRoot(__dirname);

/** Path of a compiled module, e.g. compiledPath('src/temporal/payload-converter') → <root>/dist/src/temporal/payload-converter.js. */
export function compiledPath(modulePath: string): string {
  return path.join(projectRoot, 'dist', `${modulePath}.js`);
}
