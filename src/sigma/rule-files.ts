/**
 * Finds the rule files under the paths given to the loader. A file is taken as given; a directory
 * is searched recursively for *.yml / *.yaml. A *rules root* (a directory with a `sigma/`
 * subdirectory, like the project's `rules/`) holds other YAML too (responses, entities), so from
 * a rules root only `sigma/` and `correlations/` are read.
 */
import { existsSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { RuleError } from './errors';

const ruleExtension = /\.ya?ml$/i;

export function isRulesRoot(dir: string): boolean {
  return existsSync(join(dir, 'sigma')) && statSync(join(dir, 'sigma')).isDirectory();
}

/** The nearest directory at or above `path` holding every one of `children` as subdirectories. */
export function findAncestorWith(path: string, children: readonly string[]): string | undefined {
  let dir = resolve(path);
  if (existsSync(dir) && !statSync(dir).isDirectory()) dir = dirname(dir);
  for (;;) {
    if (children.every((c) => existsSync(join(dir, c)) && statSync(join(dir, c)).isDirectory())) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export async function discoverRuleFiles(paths: readonly string[]): Promise<{ files: string[]; errors: RuleError[] }> {
  const files = new Set<string>();
  const errors: RuleError[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && ruleExtension.test(e.name)) files.add(full);
    }
  };
  for (const path of paths) {
    try {
      const info = await stat(path);
      if (!info.isDirectory()) files.add(path);
      else if (isRulesRoot(path)) {
        for (const sub of ['sigma', 'correlations']) if (existsSync(join(path, sub))) await walk(join(path, sub));
      } else await walk(path);
    } catch (e) {
      errors.push(new RuleError('VGL_RULE_IO', (e as Error).message, { file: path }));
    }
  }
  return { files: [...files].sort(), errors };
}
