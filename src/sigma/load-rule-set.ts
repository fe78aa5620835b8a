/**
 * Loading rules from disk: discover files, compile each, link them. Broken files and documents
 * are reported in `errors`; everything else loads. Files compile one after another in path order,
 * each against what the files before it left of the rule set's total bound, so which file a
 * too-large rule set rejects does not depend on I/O timing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { VigilError } from '../error-codes';
import type { CompileOptions } from './compile';
import { FieldTable } from './event-view';
import type { PlaceholderValues } from './modifiers/expand';
import { loadPlaceholderConfig } from './placeholder-config';
import { discoverRuleFiles, findAncestorWith, isRulesRoot } from './rule-files';
import { RuleCache } from './rule-cache';
import { compileRuleFile, readRuleSource, type RuleFile } from './rule-file';
import { addSizes, defaultRuleLimits, noSize, SizeBudget, type CompiledSize, type RuleLimits } from './rule-limits';
import { linkRuleSet } from './rule-set-builder';
import type { CompiledRuleSet } from './rule-set';

export interface LoadOptions {
  /**
   * Placeholder values for `expand`. Default: read from `placeholdersFile`, else from
   * `<rules root>/sigma-config/placeholders.yml` of a rules root among the paths or above one of them.
   */
  readonly placeholders?: PlaceholderValues;
  readonly placeholdersFile?: string;
  readonly logger?: Logger;
  /** Loading bounds; unset ones take defaultRuleLimits (the VIGIL_RULE_MAX_* defaults). */
  readonly limits?: Partial<RuleLimits>;
  /** Directory of the parsed-rule cache (rule-cache.ts); unset: every file is parsed. */
  readonly cacheDir?: string;
}

export function resolveLimits(options: LoadOptions): RuleLimits {
  return { ...defaultRuleLimits, ...options.limits };
}

/** The resolved placeholder values and the text they came from (part of the rule set version). */
export async function resolvePlaceholders(paths: readonly string[], options: LoadOptions): Promise<{ placeholders: PlaceholderValues; text: string }> {
  if (options.placeholders) return { placeholders: options.placeholders, text: JSON.stringify(options.placeholders) };
  // A path inside a rules root (rules/sigma/aws, as edge collectors load) uses that root's placeholders too:
  // the pack's rules are written against them.
  const file =
    options.placeholdersFile ??
    paths
      .map((p) => (isRulesRoot(p) ? p : findAncestorWith(p, ['sigma', 'sigma-config'])))
      .map((root) => (root === undefined ? undefined : join(root, 'sigma-config', 'placeholders.yml')))
      .find((f): f is string => f !== undefined && existsSync(f));
  return file ? loadPlaceholderConfig(file, resolveLimits(options)) : { placeholders: {}, text: '' };
}

export async function loadRuleSet(paths: string[], options: LoadOptions = {}): Promise<{ ruleSet: CompiledRuleSet; errors: VigilError[] }> {
  const found = await discoverRuleFiles(paths);
  const errors: VigilError[] = [...found.errors];
  let placeholders: { placeholders: PlaceholderValues; text: string } = { placeholders: {}, text: '' };
  try {
    placeholders = await resolvePlaceholders(paths, options);
  } catch (e) {
    if (!(e instanceof VigilError)) throw e;
    errors.push(e);
  }
  const limits = resolveLimits(options);
  const base = { fields: new FieldTable(), placeholders: placeholders.placeholders, limits };
  const sources: ({ text: string } | RuleFile)[] = [];
  for (const file of found.files) sources.push(await readRuleSource(file, { limits }));
  const texts = sources.flatMap((s) => ('text' in s ? [s.text] : []));
  const cache = options.cacheDir === undefined ? undefined : RuleCache.open(options.cacheDir, texts, placeholders.text, limits);
  const files: RuleFile[] = [];
  found.files.forEach((file, i) => {
    const source = sources[i]!;
    files.push('text' in source ? compileRuleFile(file, source.text, withBudget(base, files), cache?.source) : source);
  });
  const unwritten = cache?.write();
  if (unwritten) options.logger?.warn({ err: unwritten, cacheDir: options.cacheDir }, 'rule cache not written');
  for (const f of files) errors.push(...f.errors);
  const linked = linkRuleSet(files.filter((f) => f.contentHash !== ''), placeholders.text);
  errors.push(...linked.errors);
  options.logger?.info(
    {
      files: files.length,
      rules: linked.ruleSet.rules.length,
      correlations: linked.ruleSet.correlations.length,
      errors: errors.length,
      version: linked.ruleSet.version,
      ruleCache: cache === undefined ? 'off' : cache.hit ? 'hit' : 'miss',
    },
    'sigma rule set loaded',
  );
  return { ruleSet: linked.ruleSet, errors };
}

/** Builds a rule set from in-memory rule texts (tests, tooling); same compile and link steps as loadRuleSet. */
export function ruleSetFromTexts(
  sources: readonly { file: string; text: string }[],
  placeholders: PlaceholderValues = {},
  limits: Partial<RuleLimits> = {},
): { ruleSet: CompiledRuleSet; errors: VigilError[] } {
  const base = { fields: new FieldTable(), placeholders, limits: resolveLimits({ limits }) };
  const files: RuleFile[] = [];
  for (const s of sources) files.push(compileRuleFile(s.file, s.text, withBudget(base, files)));
  const linked = linkRuleSet(files.filter((f) => f.contentHash !== ''), JSON.stringify(placeholders));
  return { ruleSet: linked.ruleSet, errors: [...files.flatMap((f) => f.errors), ...linked.errors] };
}

/** Compile options for the next file: the total bounds minus what `others` already hold. */
export function withBudget(base: Omit<CompileOptions, 'budget'>, others: readonly RuleFile[]): CompileOptions {
  return { ...base, budget: new SizeBudget(base.limits, sizeOf(others)) };
}

export function sizeOf(files: readonly RuleFile[]): CompiledSize {
  return files.reduce((sum, f) => addSizes(sum, f.size), noSize);
}
