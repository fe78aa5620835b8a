/**
 * Loading rules from disk: discover files, compile each, link them. Broken files and documents
 * are reported in `errors`; everything else loads.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { VigilError } from '../error-codes';
import type { CompileOptions } from './compile';
import { FieldTable } from './event-view';
import type { PlaceholderValues } from './modifiers/expand';
import { loadPlaceholderConfig } from './placeholder-config';
import { discoverRuleFiles, findAncestorWith, isRulesRoot } from './rule-files';
import { compileRuleFile, type RuleFile } from './rule-file';
import { linkRuleSet } from './rule-set-builder';
import type { CompiledRuleSet } from './rule-set';
import { RuleError } from './errors';

export interface LoadOptions {
  /**
   * Placeholder values for `expand`. Default: read from `placeholdersFile`, else from
   * `<rules root>/sigma-config/placeholders.yml` of a rules root among the paths or above one of them.
   */
  readonly placeholders?: PlaceholderValues;
  readonly placeholdersFile?: string;
  readonly logger?: Logger;
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
  return file ? loadPlaceholderConfig(file) : { placeholders: {}, text: '' };
}

export async function readRuleFile(file: string, options: CompileOptions): Promise<RuleFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return { file, contentHash: '', rules: [], filters: [], correlations: [], errors: [new RuleError('VGL_RULE_IO', (e as Error).message, { file })] };
  }
  return compileRuleFile(file, text, options);
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
  const compileOptions: CompileOptions = { fields: new FieldTable(), placeholders: placeholders.placeholders };
  const files = await Promise.all(found.files.map((f) => readRuleFile(f, compileOptions)));
  for (const f of files) errors.push(...f.errors);
  const linked = linkRuleSet(files.filter((f) => f.contentHash !== ''), placeholders.text);
  errors.push(...linked.errors);
  options.logger?.info(
    { files: files.length, rules: linked.ruleSet.rules.length, correlations: linked.ruleSet.correlations.length, errors: errors.length, version: linked.ruleSet.version },
    'sigma rule set loaded',
  );
  return { ruleSet: linked.ruleSet, errors };
}

/** Builds a rule set from in-memory rule texts (tests, tooling); same compile and link steps as loadRuleSet. */
export function ruleSetFromTexts(
  sources: readonly { file: string; text: string }[],
  placeholders: PlaceholderValues = {},
): { ruleSet: CompiledRuleSet; errors: VigilError[] } {
  const options: CompileOptions = { fields: new FieldTable(), placeholders };
  const files = sources.map((s) => compileRuleFile(s.file, s.text, options));
  const linked = linkRuleSet(files, JSON.stringify(placeholders));
  return { ruleSet: linked.ruleSet, errors: [...files.flatMap((f) => f.errors), ...linked.errors] };
}
