/**
 * Hot reload. The watcher polls the rule paths (stat, then re-reads only changed files), compiles
 * what changed and emits a new RuleSet when the set of files in use changes. A broken edit of a
 * file that was loaded before keeps that file's previous version running and reports the problems;
 * a new file loads whatever documents compile. Polling (not fs.watch) because editors replace
 * files in many ways and mounted ConfigMaps change through symlink swaps; a stat per file per
 * interval is cheap.
 */
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { VigilError } from '../error-codes';
import type { CompileOptions } from './compile';
import { FieldTable } from './event-view';
import { readRuleFile, resolvePlaceholders, type LoadOptions } from './load-rule-set';
import { discoverRuleFiles } from './rule-files';
import type { RuleFile } from './rule-file';
import { linkRuleSet } from './rule-set-builder';
import type { CompiledRuleSet } from './rule-set';

export interface RuleWatcherOptions extends LoadOptions {
  /** How often the paths are checked for changes. Default 1000 ms. */
  readonly intervalMs?: number;
}

interface Tracked {
  readonly stamp: string;
  /** The version in use: the last one that compiled without problems (or the first one seen). */
  readonly active: RuleFile;
  /** Problems of the file as it is on disk now (kept until the file changes again). */
  readonly problems: readonly VigilError[];
}

export class RuleWatcher {
  private readonly tracked = new Map<string, Tracked>();
  private readonly fields = new FieldTable();
  private placeholdersText: string | undefined;
  private current!: CompiledRuleSet;
  private problems: VigilError[] = [];
  private linkProblems: VigilError[] = [];
  private lastProblemKey = '';
  private readonly updateListeners: ((ruleSet: CompiledRuleSet) => void)[] = [];
  private readonly problemListeners: ((errors: readonly VigilError[]) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<boolean> | undefined;

  private constructor(
    private readonly paths: readonly string[],
    private readonly options: RuleWatcherOptions,
    private readonly logger: Logger | undefined,
  ) {}

  /** Loads the rules once, then keeps checking every `intervalMs` until close(). */
  static async start(paths: string[], options: RuleWatcherOptions = {}): Promise<RuleWatcher> {
    const watcher = new RuleWatcher(paths, options, options.logger);
    await watcher.refresh();
    const tick = () =>
      watcher.refresh().catch((err: unknown) => watcher.logger?.error({ err }, 'rule reload failed; previous rule set kept'));
    watcher.timer = setInterval(() => void tick(), options.intervalMs ?? 1000);
    watcher.timer.unref();
    return watcher;
  }

  get ruleSet(): CompiledRuleSet {
    return this.current;
  }

  /** Problems found by the last check (broken files keep their previous version). */
  get errors(): readonly VigilError[] {
    return this.problems;
  }

  onUpdate(listener: (ruleSet: CompiledRuleSet) => void): void {
    this.updateListeners.push(listener);
  }

  onProblems(listener: (errors: readonly VigilError[]) => void): void {
    this.problemListeners.push(listener);
  }

  /** Checks the paths now; resolves true when a new rule set was built. Concurrent calls share one check. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.check().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async check(): Promise<boolean> {
    const problems: VigilError[] = [];
    let changed = this.current === undefined;
    let placeholders;
    try {
      placeholders = await resolvePlaceholders(this.paths, this.options);
    } catch (e) {
      if (!(e instanceof VigilError)) throw e;
      problems.push(e);
    }
    if (placeholders && placeholders.text !== this.placeholdersText) {
      // New placeholder values change what every rule compiles to.
      this.tracked.clear();
      this.placeholdersText = placeholders.text;
      changed = true;
    }
    const compileOptions: CompileOptions = { fields: this.fields, placeholders: placeholders?.placeholders ?? {} };
    const found = await discoverRuleFiles(this.paths);
    problems.push(...found.errors);
    const present = new Set(found.files);
    for (const file of [...this.tracked.keys()]) {
      if (!present.has(file)) {
        this.tracked.delete(file);
        changed = true;
      }
    }
    for (const file of found.files) {
      const stamp = await fileStamp(file);
      const known = this.tracked.get(file);
      if (known?.stamp === stamp) continue;
      const next = await readRuleFile(file, compileOptions);
      if (known && next.errors.length > 0) {
        // Keep the previous version running; the stamp is remembered so the same broken edit is not re-read every tick.
        this.tracked.set(file, { stamp, active: known.active, problems: next.errors });
        this.logger?.warn({ file, errors: next.errors.map((e) => e.message) }, 'rule file edit rejected; previous version kept');
        continue;
      }
      const same = known?.active.contentHash === next.contentHash;
      this.tracked.set(file, { stamp, active: same ? known!.active : next, problems: next.errors });
      changed ||= !same;
    }
    for (const t of this.tracked.values()) problems.push(...t.problems);
    const files = [...this.tracked.values()].map((t) => t.active).filter((f) => f.contentHash !== '');
    if (changed) {
      const linked = linkRuleSet(files, this.placeholdersText ?? '');
      this.linkProblems = linked.errors;
      this.current = linked.ruleSet;
      this.logger?.info({ version: linked.ruleSet.version, rules: linked.ruleSet.rules.length }, 'sigma rule set (re)loaded');
    }
    problems.push(...this.linkProblems);
    this.problems = problems;
    const problemKey = problems.map((e) => e.message).join('\n');
    if (problemKey !== this.lastProblemKey && problems.length > 0) for (const l of this.problemListeners) l(problems);
    this.lastProblemKey = problemKey;
    if (changed) for (const l of this.updateListeners) l(this.current);
    return changed;
  }
}

async function fileStamp(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}
