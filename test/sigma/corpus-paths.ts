/** The vendored public corpus (test/corpus, see its README for sources and licences) and the project's placeholder config. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export const projectRoot = join(__dirname, '..', '..');
export const corpusRoot = join(projectRoot, 'test', 'corpus');
export const sigmaHqRules = join(corpusRoot, 'sigmahq');
export const falcoTraces = join(corpusRoot, 'falco-k8s-audit', 'test', 'trace_files', 'k8s_audit');
export const stratusLogs = join(corpusRoot, 'stratus-red-team', 'docs', 'detonation-logs');
export const placeholdersFile = join(projectRoot, 'rules', 'sigma-config', 'placeholders.yml');

export function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}
