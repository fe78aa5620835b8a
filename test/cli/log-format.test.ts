/**
 * Logs a person can read: pretty lines on a terminal, one JSON object per line otherwise, `--log-format` and
 * VIGIL_LOG_FORMAT overriding. The commands run as child processes; their stderr is a pipe here, so the default is json.
 */
import path from 'node:path';
import { logFormatFor } from '../../src/logger';
import { projectRoot } from '../../src/project-root';
import { runVigil } from '../helpers/vigil-process';

const rules = path.join(projectRoot, 'rules');
const loadedLine = (stderr: string): string => stderr.split('\n').find((l) => l.includes('sigma rule set loaded'))!;

test('the format: the flag, then VIGIL_LOG_FORMAT, then pretty only for a terminal', () => {
  expect(logFormatFor(['node', 'vigil', 'dev'], {}, true)).toBe('pretty');
  expect(logFormatFor(['node', 'vigil', 'dev'], {}, false)).toBe('json');
  expect(logFormatFor(['node', 'vigil', 'dev'], { VIGIL_LOG_FORMAT: 'json' }, true)).toBe('json');
  expect(logFormatFor(['node', 'vigil', 'dev'], { VIGIL_LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
  expect(logFormatFor(['node', 'vigil', 'dev', '--log-format', 'json'], { VIGIL_LOG_FORMAT: 'pretty' }, true)).toBe('json');
  expect(logFormatFor(['node', 'vigil', '--log-format=pretty', 'dev'], {}, false)).toBe('pretty');
});

test('a piped command logs JSON lines; --log-format pretty logs readable lines with the same facts', () => {
  const json = runVigil(['rules', 'lint', rules], { LOG_LEVEL: 'info' });
  expect(json.status).toBe(0);
  const record = JSON.parse(loadedLine(json.stderr)) as { level: number; msg: string; rules: number };
  expect(record).toMatchObject({ level: 30, msg: 'sigma rule set loaded' });

  const pretty = runVigil(['rules', 'lint', rules, '--log-format', 'pretty'], { LOG_LEVEL: 'info' });
  expect(pretty.status).toBe(0);
  expect(pretty.stdout).toBe(json.stdout); // command output on stdout is untouched
  const line = loadedLine(pretty.stderr);
  expect(() => JSON.parse(line)).toThrow();
  expect(line).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: sigma rule set loaded /);
  expect(line).toContain(`"rules":${record.rules}`);

  const byEnv = runVigil(['rules', 'lint', rules], { LOG_LEVEL: 'info', VIGIL_LOG_FORMAT: 'pretty' });
  expect(loadedLine(byEnv.stderr)).toMatch(/INFO: sigma rule set loaded/);
});

test('an unknown --log-format is refused by the command line', () => {
  const r = runVigil(['rules', 'lint', rules, '--log-format', 'xml'], {});
  expect(r.status).not.toBe(0);
});
