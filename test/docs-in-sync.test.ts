/**
 * README.md is the operator's reference: every error code and configuration variable the code knows is
 * documented there, and nothing documented is gone from the code (fastify's errors.md check, for Vigil).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ChatopsSettingsSchema } from '../src/chatops/chatops-settings';
import { ConfigSchema } from '../src/config';
import { ActionSettingsSchema } from '../src/response/action-settings';
import { errorCodes } from '../src/error-codes';
import { projectRoot } from '../src/project-root';
import { containmentActions } from '../src/response/actions/registry';

const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
const section = (title: string): string => {
  const start = readme.indexOf(`## ${title}`);
  const end = readme.indexOf('\n## ', start + 3);
  return readme.slice(start, end === -1 ? undefined : end);
};
const tableKeys = (text: string): string[] => [...text.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);

test('every error code is in the README table, and the table lists no retired code', () => {
  expect(tableKeys(section('Error codes')).sort()).toEqual(Object.keys(errorCodes).sort());
});

test('every configuration variable is documented; documented ones are read by a settings schema or the CLI resolver', () => {
  const documented = tableKeys(section('Configuration'));
  const read = [...Object.keys(ConfigSchema.shape), ...Object.keys(ActionSettingsSchema.shape), ...Object.keys(ChatopsSettingsSchema.shape), 'TEMPORAL_CLI', 'VIGIL_CACHE_DIR'];
  expect([...documented].sort()).toEqual([...new Set(read)].sort());
});

test('the containment action table of rules/responses/README.md lists exactly the registered actions', () => {
  const responsesReadme = readFileSync(path.join(projectRoot, 'rules/responses/README.md'), 'utf8');
  const listed = [...responsesReadme.matchAll(/^\| `([a-z0-9]+\.[A-Za-z]+)` \|/gm)].map((m) => m[1]!);
  expect(listed.sort()).toEqual(containmentActions.map((action) => action.name).sort());
});
