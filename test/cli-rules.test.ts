/** `vigil rules lint|test|eval`: the stable CLI contract, through the exported commands and commander. */
import { mkdirSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Command } from 'commander';
import pino from 'pino';
import { registerRulesCommands } from '../src/cli/rules';
import { evalRules } from '../src/cli/rules-eval';
import { lintRules } from '../src/cli/rules-lint';
import { testRules } from '../src/cli/rules-test';
import { runVigil } from './helpers/vigil-process';

const logger = pino({ level: 'silent' });
const projectRoot = join(__dirname, '..');

const rule = (id: string, name: string, eventName: string) =>
  `title: ${id}\nid: ${id}\nname: ${name}\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    eventName: ${eventName}\n  condition: sel\nlevel: high\n`;

function rulesRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
  const dir = join(root, 'sigma', 'aws', 'cloudtrail');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'trail_deleted.yml'), rule('r1', 'trail_deleted', 'DeleteTrail'));
  writeFileSync(join(dir, 'logging_stopped.yml'), rule('r2', 'logging_stopped', 'StopLogging'));
  writeFileSync(join(dir, 'untested.yml'), rule('r3', 'untested', 'PutBucketAcl'));
  const tests = (stem: string, kind: string, events: unknown[]) => {
    mkdirSync(join(root, 'tests', stem), { recursive: true });
    writeFileSync(join(root, 'tests', stem, `${kind}.ndjson`), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  };
  tests('trail_deleted', 'match', [{ eventName: 'DeleteTrail' }, { eventName: 'deletetrail' }]);
  tests('trail_deleted', 'nomatch', [{ eventName: 'CreateTrail' }]);
  tests('logging_stopped', 'match', [{ eventName: 'StopLogging' }, { eventName: 'StartLogging' }]);
  return root;
}

function collect(): { lines: string[]; write: (l: string) => void } {
  const lines: string[] = [];
  return { lines, write: (l) => lines.push(...l.split('\n')) };
}

describe('rules lint', () => {
  test('reports every problem with its location and fails', async () => {
    const root = rulesRoot();
    writeFileSync(join(root, 'sigma', 'aws', 'cloudtrail', 'broken.yml'), rule('r9', 'b', 'X').replace('condition: sel', 'condition: sel or'));
    const { lines, write } = collect();
    const report = await lintRules([root], {}, 'text', write);
    expect(report.ok).toBe(false);
    expect(lines[0]).toMatch(/^VGL_RULE_CONDITION: .*broken\.yml:10:3 field detection\.condition: /);
    expect(lines[1]).toMatch(/^3 rules, 0 correlations, 1 problem \(rule set version [0-9a-f]{16}\)$/);
    const json = collect();
    await lintRules([root], {}, 'json', json.write);
    expect(JSON.parse(json.lines[0]!)).toMatchObject({ code: 'VGL_RULE_CONDITION', line: 10, col: 3, field: 'detection.condition' });
  });

  test('exit code 1 through commander when there are problems, 0 when clean', async () => {
    const root = rulesRoot();
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const run = async (paths: string[]) => {
        process.exitCode = undefined;
        const program = new Command().exitOverride();
        registerRulesCommands(program, logger);
        await program.parseAsync(['node', 'vigil', 'rules', 'lint', ...paths]);
        return process.exitCode;
      };
      expect(await run([root])).toBeUndefined();
      writeFileSync(join(root, 'sigma', 'bad.yml'), 'title: [\n');
      expect(await run([root])).toBe(1);
    } finally {
      write.mockRestore();
      process.exitCode = undefined;
    }
  });
});

describe('rules test', () => {
  test('reports pass/fail per rule with the failing event line; a rule without tests fails', async () => {
    const { lines, write } = collect();
    const report = await testRules([rulesRoot()], {}, write);
    expect(report.ok).toBe(false);
    const byStem = Object.fromEntries(report.results.map((r) => [r.stem, r]));
    expect(byStem['trail_deleted']).toMatchObject({ passed: true, matchCases: 2, nomatchCases: 1 });
    expect(byStem['logging_stopped']!.passed).toBe(false);
    expect(byStem['logging_stopped']!.failures.map((f) => [f.code, f.location.line])).toEqual([['VGL_RULE_TEST_FAILED', 2]]);
    expect(byStem['untested']!.failures.map((f) => f.code)).toEqual(['VGL_RULE_TEST_MISSING']);
    expect(lines).toContain('PASS trail_deleted (2 match, 1 nomatch)');
    expect(lines).toContain('FAIL logging_stopped');
    expect(lines[lines.length - 1]).toBe('1 passed, 2 failed, 0 skipped');
  });

  test("Vigil's own rule pack passes", async () => {
    const { lines, write } = collect();
    const report = await testRules([join(projectRoot, 'rules')], {}, write);
    expect(lines.filter((l) => l.startsWith('FAIL') || l.startsWith('  '))).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.results.filter((r) => !r.skipped).length).toBeGreaterThanOrEqual(40);
  });
});

describe('rules eval', () => {
  const correlation = `title: trail tampering\nname: trail_tampering\ncorrelation:\n  type: event_count\n  rules: [trail_deleted, logging_stopped]\n  group-by: [userIdentity.arn]\n  timespan: 10m\n  condition:\n    gte: 2\n`;

  test('detections and correlations as NDJSON, CloudTrail Records gzip input auto-detected', async () => {
    const root = rulesRoot();
    mkdirSync(join(root, 'correlations'));
    writeFileSync(join(root, 'correlations', 'tampering.yml'), correlation);
    const record = (id: string, eventName: string, arn: string, t: string) => ({ eventID: id, eventName, eventSource: 'cloudtrail.amazonaws.com', awsRegion: 'us-east-1', eventTime: t, userIdentity: { arn } });
    const events = join(root, 'ct.json.gz');
    writeFileSync(events, gzipSync(JSON.stringify({ Records: [
      record('e0', 'StopLogging', 'arn:alice', '2024-01-01T00:00:00Z'),
      record('e1', 'ListBuckets', 'arn:alice', '2024-01-01T00:01:00Z'),
      record('e2', 'DeleteTrail', 'arn:alice', '2024-01-01T00:02:00Z'),
      record('e3', 'DeleteTrail', 'arn:bob', '2024-01-01T00:03:00Z'),
    ] })));
    const { lines, write } = collect();
    const counts = await evalRules({ rules: [root], events }, write, logger);
    expect(counts).toEqual({ detections: 3, correlations: 1 });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { type: 'detection', rule: { id: 'r2', name: 'logging_stopped', title: 'r2', level: 'high' }, event: { index: 0, id: 'e0' } },
      { type: 'detection', rule: { id: 'r1', name: 'trail_deleted', title: 'r1', level: 'high' }, event: { index: 2, id: 'e2' } },
      { type: 'detection', rule: { id: 'r1', name: 'trail_deleted', title: 'r1', level: 'high' }, event: { index: 3, id: 'e3' } },
      { type: 'correlation', rule: { id: 'trail_tampering', name: 'trail_tampering', title: 'trail tampering', level: 'medium' }, group: { 'userIdentity.arn': 'arn:alice' }, events: ['e0', 'e2'] },
    ]);
  });

  test('--source json applies every rule unless --logsource narrows; --id-field picks the id; index when absent', async () => {
    const root = rulesRoot();
    const events = join(root, 'events.ndjson');
    writeFileSync(events, [{ eventName: 'DeleteTrail', meta: { uid: 'u-1' } }, { eventName: 'StopLogging' }].map((e) => JSON.stringify(e)).join('\n'));
    const all = collect();
    await evalRules({ rules: [root], events, source: 'json', idField: 'meta.uid' }, all.write, logger);
    expect(all.lines.map((l) => JSON.parse(l).event)).toEqual([{ index: 0, id: 'u-1' }, { index: 1, id: '1' }]);
    const narrowed = collect();
    await evalRules({ rules: [root], events, source: 'json', logsource: 'kubernetes/audit' }, narrowed.write, logger);
    expect(narrowed.lines).toEqual([]);
  });

  test('undetectable source without --source is a VGL error', async () => {
    const root = rulesRoot();
    const events = join(root, 'events.ndjson');
    writeFileSync(events, '{"a":1}\n');
    await expect(evalRules({ rules: [root], events }, () => undefined, logger)).rejects.toMatchObject({ code: 'VGL_RULE_EVENTS_INPUT' });
  });
});

describe('rule bounds (VIGIL_RULE_MAX_*) in the built CLI', () => {
  const json = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

  test('lint rejects a huge file from its size (exit 1, JSON with code and file) and lints the rest', () => {
    const root = rulesRoot();
    const huge = join(root, 'sigma', 'aws', 'cloudtrail', 'huge.yml');
    writeFileSync(huge, '');
    truncateSync(huge, 50 * 2 ** 20); // sparse 50 MiB: the size of the file that stalled ingest
    const lint = runVigil(['rules', 'lint', '--format', 'json', root], {});
    expect(lint.status).toBe(1);
    expect(json(lint.stdout)).toEqual([
      { code: 'VGL_RULE_TOO_LARGE', file: huge, reason: 'file is 52,428,800 bytes, above the limit of 1,048,576 bytes per rule file (raise VIGIL_RULE_MAX_FILE_BYTES to allow more)' },
    ]);
  });

  test('lint, test and eval apply the same bound from the environment; the other rules still run', () => {
    const root = rulesRoot();
    const big = join(root, 'sigma', 'aws', 'cloudtrail', 'big.yml');
    writeFileSync(big, rule('r9', 'big', '[A, B, C, D]'));
    const env = { VIGIL_RULE_MAX_FIELD_VALUES: '3' };
    const where = { code: 'VGL_RULE_FIELD_VALUES', file: big, line: 9, col: 5, field: 'detection.sel.eventName' };

    expect(runVigil(['rules', 'lint', root], {}).status).toBe(0);
    const lint = runVigil(['rules', 'lint', '--format', 'json', root], env);
    expect(lint.status).toBe(1);
    expect(json(lint.stdout)).toEqual([{ ...where, reason: 'eventName has 4 values, above the limit of 3 values per detection field (raise VIGIL_RULE_MAX_FIELD_VALUES to allow more)' }]);

    const tested = runVigil(['rules', 'test', root], env);
    expect(tested.stdout).toContain(`VGL_RULE_FIELD_VALUES: ${big}:9:5 field detection.sel.eventName: eventName has 4 values`);
    expect(tested.stdout).toContain('PASS trail_deleted (2 match, 1 nomatch)');
    expect(tested.status).toBe(1);

    const events = join(root, 'events.ndjson');
    writeFileSync(events, `${JSON.stringify({ eventName: 'DeleteTrail', eventID: 'e1' })}\n${JSON.stringify({ eventName: 'A', eventID: 'e2' })}\n`);
    const evaluated = runVigil(['rules', 'eval', '--rules', root, '--events', events, '--source', 'cloudtrail'], env);
    expect(evaluated.status).toBe(0);
    expect(json(evaluated.stdout).map((h) => [(h['rule'] as { id: string }).id, (h['event'] as { id: string }).id])).toEqual([['r1', 'e1']]);
    expect(json(evaluated.stderr).filter((l) => l['code'] !== undefined)).toEqual([expect.objectContaining({ code: 'VGL_RULE_FIELD_VALUES', location: { file: big, line: 9, col: 5, field: 'detection.sel.eventName' } })]);
  });
});
