/**
 * Optional on-disk cache of parsed rule files (`vigil rules eval --rule-cache DIR`). YAML parsing is
 * most of a rule set's load time, so the YAML values of every file are kept as one JSON entry per rule
 * set, named by a key over the rule set's contents: each file's sha256, the placeholder values, the
 * parse bounds and this format's version. Editing, adding or removing a rule makes a new key, so a
 * stale entry is never read; entries beyond the newest MAX_ENTRIES are deleted. Compilation, checks
 * and indexing still run on every load: only parsing is skipped, so a cached rule set is the same rule
 * set. A missing, unreadable or corrupt entry is a miss (the rules are parsed and the entry rewritten).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RuleLimits } from './rule-limits';
import { documentsFromValues, parseYamlDocuments, type YamlParse } from './yaml-document';
import type { YamlSource } from './rule-file';

/** Bumped whenever what is stored (or how YAML values are made) changes. */
const FORMAT = 1;
const MAX_ENTRIES = 8;

type StoredDocuments = { index: number; value: unknown }[];

/** Only plain JSON survives the round trip: a file holding `.inf`, `.nan` or the like is parsed every time. */
function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every(isPlainJson);
}

export class RuleCache {
  private readonly entries: Map<string, StoredDocuments>;
  private readonly fresh = new Map<string, StoredDocuments>();
  /** Whether the entry for this rule set was found. */
  readonly hit: boolean;

  private constructor(
    private readonly file: string,
    stored: Map<string, StoredDocuments> | undefined,
  ) {
    this.entries = stored ?? new Map();
    this.hit = stored !== undefined;
  }

  /** Opens the entry of the rule set whose file texts are `texts` (in load order). */
  static open(dir: string, texts: readonly string[], placeholdersText: string, limits: RuleLimits): RuleCache {
    const key = createHash('sha256');
    key.update(JSON.stringify({ FORMAT, placeholdersText, maxDocuments: limits.maxDocuments, maxYamlNodes: limits.maxYamlNodes }));
    for (const text of texts) key.update(`\n${RuleCache.hashOf(text)}`);
    const file = path.join(dir, `${key.digest('hex').slice(0, 32)}.json`);
    return new RuleCache(file, RuleCache.read(file));
  }

  private static hashOf(text: string): string {
    return createHash('sha256').update(text).digest('hex');
  }

  private static read(file: string): Map<string, StoredDocuments> | undefined {
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as { format?: unknown; files?: Record<string, StoredDocuments> };
      if (stored.format !== FORMAT || typeof stored.files !== 'object' || stored.files === null) return undefined;
      const now = new Date();
      utimesSync(file, now, now); // recently used entries survive pruning
      return new Map(Object.entries(stored.files));
    } catch {
      return undefined;
    }
  }

  /** Where compileRuleFile gets a file's documents: from the entry, else parsed (and kept for write()). */
  readonly source: YamlSource = (text, file, limits) => {
    const hash = RuleCache.hashOf(text);
    const stored = this.entries.get(hash);
    if (stored) return { documents: documentsFromValues(text, file, limits, stored), errors: [] };
    const parsed: YamlParse = parseYamlDocuments(text, file, limits);
    if (parsed.errors.length === 0 && parsed.documents.every((d) => isPlainJson(d.value))) {
      this.fresh.set(hash, parsed.documents.map((d) => ({ index: d.index, value: d.value })));
    }
    return parsed;
  };

  /**
   * After a miss: stores the entry (atomically: written aside, then renamed) and prunes old ones.
   * Returns the error when it could not (a cache that cannot be written only costs the next load its parse).
   */
  write(): Error | undefined {
    if (this.hit || this.fresh.size === 0) return undefined;
    const dir = path.dirname(this.file);
    try {
      mkdirSync(dir, { recursive: true });
      const aside = `${this.file}.${process.pid}.tmp`;
      writeFileSync(aside, JSON.stringify({ format: FORMAT, files: Object.fromEntries(this.fresh) }));
      renameSync(aside, this.file);
      const entries = readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => ({ f, at: statSync(path.join(dir, f)).mtimeMs }))
        .sort((a, b) => b.at - a.at);
      for (const { f } of entries.slice(MAX_ENTRIES)) unlinkSync(path.join(dir, f));
    } catch (e) {
      return e as Error;
    }
    return undefined;
  }
}
