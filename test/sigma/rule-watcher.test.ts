/** Hot reload: changes are picked up, a broken edit keeps the previous version running and is reported. */
import { mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuleWatcher, type CompiledRuleSet } from '../../src/sigma';

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
