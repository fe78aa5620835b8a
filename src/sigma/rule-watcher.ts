/**
 * Hot reload. The watcher polls the rule paths (stat, then re-reads only changed files), compiles
 * what changed and emits a new RuleSet when the set of files in use changes. A broken or
 * over-bound edit of a file that was loaded before keeps that file's previous version running; a
 * new file loads whatever documents compile (nothing, if it is past a file bound). Every problem is
 * logged once, when the change that caused it is first seen: a file's problems when its stamp
 * changes, set-wide ones (placeholders, links) when they appear. Polling (not fs.watch) because
 * editors replace files in many ways and mounted ConfigMaps change through symlink swaps; a stat
 * per file per interval is cheap, and the bounds (rule-limits.ts) are checked before a file is read.
 */
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { VigilError } from '../error-codes';
import { FieldTable } from './event-view';
import { resolveLimits, resolvePlaceholders, sizeOf, withBudget, type LoadOptions } from './load-rule-set';
import { discoverRuleFiles } from './rule-files';
import type { CompileOptions } from './compile';
import { emptyRuleFile, readRuleFile, type RuleFile } from './rule-file';
import type { CompiledSize, RuleLimits } from './rule-limits';
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
  /**
   * Set when the file was rejected for a rule set total bound: what the other files held then.
   * The file is read again once they hold less, without waiting for it to change.
   */
  readonly blockedAt?: CompiledSize;
}

export class RuleWatcher {
  private readonly tracked = new Map<string, Tracked>();
  private readonly fields = new FieldTable();
  private readonly limits: RuleLimits;
  private placeholdersText: string | undefined;
  private current!: CompiledRuleSet;
  private problems: VigilError[] = [];
  private linkProblems: VigilError[] = [];
  /** Set-wide problems already logged (by message), so each is logged once while it lasts. */
  private logged = new Set<string>();
  private readonly updateListeners: ((ruleSet: CompiledRuleSet) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<boolean> | undefined;

  private constructor(
    private readonly paths: readonly string[],
    private readonly options: RuleWatcherOptions,
    private readonly logger: Logger | undefined,
  ) {
    this.limits = resolveLimits(options);
  }

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
    const setWide: VigilError[] = [];
    let changed = this.current === undefined;
    let placeholders;
    try {
      placeholders = await resolvePlaceholders(this.paths, this.options);
    } catch (e) {
      if (!(e instanceof VigilError)) throw e;
      setWide.push(e);
    }
    if (placeholders && placeholders.text !== this.placeholdersText) {
      // New placeholder values change what every rule compiles to.
      this.tracked.clear();
      this.placeholdersText = placeholders.text;
      changed = true;
    }
    const base = { fields: this.fields, placeholders: placeholders?.placeholders ?? {}, limits: this.limits };
    const found = await discoverRuleFiles(this.paths);
    setWide.push(...found.errors);
    const present = new Set(found.files);
    for (const file of [...this.tracked.keys()]) {
      if (!present.has(file)) {
        this.tracked.delete(file);
        changed = true;
      }
    }
    for (const file of found.files) changed = (await this.checkFile(file, base)) || changed;
    const files = [...this.tracked.values()].map((t) => t.active).filter((f) => f.contentHash !== '');
    if (changed) {
      const linked = linkRuleSet(files, this.placeholdersText ?? '');
      this.linkProblems = linked.errors;
      this.current = linked.ruleSet;
      this.logger?.info({ version: linked.ruleSet.version, rules: linked.ruleSet.rules.length }, 'sigma rule set (re)loaded');
    }
    this.logSetProblems([...setWide, ...this.linkProblems]);
    this.problems = [...setWide, ...[...this.tracked.values()].flatMap((t) => t.problems), ...this.linkProblems];
    if (changed) for (const l of this.updateListeners) l(this.current);
    return changed;
  }

  /** Re-reads one file if it changed (or a total-bound rejection may now fit); true when its version in use changed. */
  private async checkFile(file: string, base: Omit<CompileOptions, 'budget'>): Promise<boolean> {
    const stamp = await fileStamp(file);
    const known = this.tracked.get(file);
    const others = () => [...this.tracked].filter(([f]) => f !== file).map(([, t]) => t.active);
    const retry = known?.blockedAt !== undefined && shrunk(sizeOf(others()), known.blockedAt);
    if (known?.stamp === stamp && !retry) return false;
    const options = withBudget(base, others());
    let next: RuleFile;
    try {
      next = await readRuleFile(file, options);
    } catch (err) {
      // Not a rule problem but a fault of ours: logged once for this stamp, never retried in a loop.
      this.logger?.error({ err, file }, 'rule file could not be compiled; previous version kept');
      this.tracked.set(file, { stamp, active: known?.active ?? emptyRuleFile(file), problems: [] });
      return false;
    }
    // A file of which nothing was in use (new, or rejected as a whole) loads whatever compiles, like a new one.
    const keep = known !== undefined && known.active.contentHash !== '' && next.errors.length > 0;
    const active = keep || known?.active.contentHash === next.contentHash ? known!.active : next;
    const blocked = next.errors.some((e) => e.code === 'VGL_RULE_SET_TOO_LARGE');
    this.tracked.set(file, { stamp, active, problems: next.errors, ...(blocked ? { blockedAt: sizeOf(others()) } : {}) });
    const outcome = keep ? 'previous version of the file kept' : next.contentHash === '' ? 'nothing of the file loaded' : "the file's other documents loaded";
    for (const e of next.errors) this.logger?.error({ code: e.code, location: e.location, outcome }, e.message);
    return known === undefined ? active.contentHash !== '' : active !== known.active;
  }

  /** Logs the set-wide problems not logged while they lasted; forgets the ones that went away. */
  private logSetProblems(problems: readonly VigilError[]): void {
    const now = new Set<string>();
    for (const e of problems) {
      now.add(e.message);
      if (!this.logged.has(e.message)) this.logger?.error({ code: e.code, location: e.location }, e.message);
    }
    this.logged = now;
  }
}

function shrunk(now: CompiledSize, then: CompiledSize): boolean {
  return now.values < then.values || now.chars < then.chars;
}

async function fileStamp(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}
