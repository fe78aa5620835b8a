/** Hot reload: changes are picked up, a broken edit keeps the previous version running and is reported (and logged, once). */
import { mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startRuleRuntime } from '../../src/app/rule-runtime';
import { RuleWatcher, type CompiledRuleSet } from '../../src/sigma';
import { makeRulesDir } from '../helpers/rules-dir';
import { eventually } from '../helpers/shared-servers';

const rule = (id: string, eventName: string) =>
  `title: ${id}\nid: ${id}\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    eventName: ${eventName}\n  condition: sel\n`;

function write(file: string, text: string, bump: number): void {
  writeFileSync(file, text);
  utimesSync(file, bump, bump); // distinct mtimes even within one clock tick
}

test('reloads on change, keeps the previous version of a broken file, drops deleted files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-watch-'));
  const a = join(dir, 'a.yml');
  write(a, rule('r1', 'DeleteTrail'), 1000);
  write(join(dir, 'b.yml'), rule('r2', 'StopLogging'), 1000);
  const watcher = await RuleWatcher.start([dir], { intervalMs: 3_600_000 });
  const updates: CompiledRuleSet[] = [];
  watcher.onUpdate((rs) => updates.push(rs));
  try {
    const v1 = watcher.ruleSet.version;
    const hits = (eventName: string) => watcher.ruleSet.match({ eventName }, 'cloudtrail').map((r) => r.id);
    expect(hits('DeleteTrail')).toEqual(['r1']);
    expect(await watcher.refresh()).toBe(false);

    write(a, rule('r1', 'PutEventSelectors'), 2000);
    expect(await watcher.refresh()).toBe(true);
    expect(hits('PutEventSelectors')).toEqual(['r1']);
    expect(hits('DeleteTrail')).toEqual([]);
    const v2 = watcher.ruleSet.version;
    expect(v2).not.toBe(v1);

    write(a, rule('r1', 'PutEventSelectors').replace('condition: sel', 'condition: sel and nope'), 3000);
    expect(await watcher.refresh()).toBe(false);
    expect(watcher.ruleSet.version).toBe(v2);
    expect(hits('PutEventSelectors')).toEqual(['r1']);
    expect(watcher.errors.map((e) => [e.code, e.location.file])).toEqual([['VGL_RULE_CONDITION', a]]);
    expect(await watcher.refresh()).toBe(false);
    expect(watcher.errors).toHaveLength(1); // still reported while the file stays broken

    rmSync(join(dir, 'b.yml'));
    expect(await watcher.refresh()).toBe(true);
    expect(hits('StopLogging')).toEqual([]);
    expect(updates).toHaveLength(2);
  } finally {
    watcher.close();
  }
});

/** A pino logger whose JSON lines land in `lines` (what a running ingest would print). */
function capturedLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}
const rejections = (lines: Record<string, unknown>[]) =>
  lines.filter((l) => typeof l['code'] === 'string').map((l) => [l['code'], (l['location'] as { file?: string }).file, l['outcome']]);

test('hot reload logs every rejected file once per change, with code and location, and keeps serving the previous rules', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-watch-'));
  const a = join(dir, 'a.yml');
  const added = join(dir, 'added.yml');
  write(a, rule('r1', 'DeleteTrail'), 1000);
  const { logger, lines } = capturedLogger();
  const watcher = await RuleWatcher.start([dir], { intervalMs: 3_600_000, logger, limits: { maxFileBytes: 1_000, maxFieldValues: 3 } });
  try {
    const hits = (eventName: string) => watcher.ruleSet.match({ eventName }, 'cloudtrail').map((r) => r.id);
    expect(rejections(lines)).toEqual([]);

    // A new file past the per-field bound, added while running: logged, nothing of it loads.
    write(added, rule('r2', '[StopLogging, StartLogging, CreateTrail, UpdateTrail]'), 1000);
    expect(await watcher.refresh()).toBe(false);
    expect(rejections(lines)).toEqual([['VGL_RULE_FIELD_VALUES', added, 'nothing of the file loaded']]);

    // An edit of a loaded file past the byte bound: logged, its previous version keeps matching.
    write(a, rule('r1', 'PutEventSelectors') + `# ${'x'.repeat(1_000)}\n`, 2000);
    expect(await watcher.refresh()).toBe(false);
    expect(hits('DeleteTrail')).toEqual(['r1']);
    expect(rejections(lines).slice(1)).toEqual([['VGL_RULE_TOO_LARGE', a, 'previous version of the file kept']]);
    const logged = lines.find((l) => l['code'] === 'VGL_RULE_TOO_LARGE')!;
    expect(logged['msg']).toMatch(/^VGL_RULE_TOO_LARGE: .*a\.yml: file is 1,\d{3} bytes, above the limit of 1,000 bytes per rule file \(raise VIGIL_RULE_MAX_FILE_BYTES/);
    expect(watcher.errors.map((e) => e.code).sort()).toEqual(['VGL_RULE_FIELD_VALUES', 'VGL_RULE_TOO_LARGE']);

    // Nothing changed: nothing re-logged, however often the watcher looks.
    const count = lines.length;
    for (let i = 0; i < 3; i++) expect(await watcher.refresh()).toBe(false);
    expect(lines).toHaveLength(count);

    // Fixed files load; the next broken edit is logged again (once).
    write(added, rule('r2', 'StopLogging'), 3000);
    write(a, rule('r1', 'PutEventSelectors'), 3000);
    expect(await watcher.refresh()).toBe(true);
    expect(hits('PutEventSelectors')).toEqual(['r1']);
    expect(hits('StopLogging')).toEqual(['r2']);
    expect(watcher.errors).toEqual([]);
    write(a, rule('r1', 'PutEventSelectors').replace('condition: sel', 'condition: sel and nope'), 4000);
    expect(await watcher.refresh()).toBe(false);
    expect(await watcher.refresh()).toBe(false);
    expect(rejections(lines).slice(2)).toEqual([['VGL_RULE_CONDITION', a, 'previous version of the file kept']]);
  } finally {
    watcher.close();
  }
});

test('a file rejected for the rule set total is retried once other files make room', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-watch-'));
  const values = (prefix: string) => `[${Array.from({ length: 6 }, (_, i) => `${prefix}${i}`).join(', ')}]`;
  write(join(dir, 'a.yml'), rule('r1', values('A')), 1000);
  write(join(dir, 'b.yml'), rule('r2', values('B')), 1000);
  const { logger, lines } = capturedLogger();
  const watcher = await RuleWatcher.start([dir], { intervalMs: 3_600_000, logger, limits: { maxTotalValues: 10 } });
  try {
    expect(watcher.ruleSet.rules.map((r) => r.ref.id)).toEqual(['r1']);
    expect(rejections(lines)).toEqual([['VGL_RULE_SET_TOO_LARGE', join(dir, 'b.yml'), 'nothing of the file loaded']]);
    write(join(dir, 'a.yml'), rule('r1', 'A0'), 2000);
    expect(await watcher.refresh()).toBe(true); // b.yml, unchanged on disk, now fits and loads in the same check
    expect(watcher.ruleSet.rules.map((r) => r.ref.id).sort()).toEqual(['r1', 'r2']);
    expect(watcher.errors).toEqual([]);
    expect(await watcher.refresh()).toBe(false);
  } finally {
    watcher.close();
  }
});

test('a running rule runtime (what ingest and workers hold) logs a broken file dropped into its folder and keeps matching', async () => {
  const good = rule('r1', 'DeleteTrail');
  const dir = makeRulesDir({ 'good.yml': good });
  const { logger, lines } = capturedLogger();
  const runtime = await startRuleRuntime({ VIGIL_RULES_DIR: dir, VIGIL_RULE_MAX_FIELD_VALUES: 2 }, logger);
  try {
    writeFileSync(join(dir, 'sigma', 'dropped.yml'), rule('r2', '[StopLogging, StartLogging, CreateTrail]'));
    writeFileSync(join(dir, 'sigma', 'broken.yml'), 'title: [\n');
    await eventually(async () => (rejections(lines).length >= 2 ? true : undefined), 'the rejected files in the log', 20_000);
    expect(rejections(lines).sort()).toEqual([
      ['VGL_RULE_FIELD_VALUES', join(dir, 'sigma', 'dropped.yml'), 'nothing of the file loaded'],
      ['VGL_RULE_YAML', join(dir, 'sigma', 'broken.yml'), 'nothing of the file loaded'],
    ]);
    expect(runtime.ruleSet().match({ eventName: 'DeleteTrail' }, 'cloudtrail').map((r) => r.id)).toEqual(['r1']);
  } finally {
    runtime.close();
  }
});
