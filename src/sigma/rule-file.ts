/**
 * One rule file → its compiled rules, filters and correlation rules, plus every problem found.
 * Each document compiles on its own; a broken document is reported and its siblings still load.
 * A file past a per-file or rule-set bound (RuleFileRejected) loads nothing. A file of which nothing
 * loaded is returned empty (contentHash '') so that it is not part of the rule set in use.
 */
import { createHash } from 'node:crypto';
import { VigilError } from '../error-codes';
import { compileFilter, compileRule, type CompiledFilter, type CompiledRule, type CompileOptions } from './compile';
import { parseCorrelationRule, type CorrelationRule } from './correlation-rule';
import { RuleError, type Locate } from './errors';
import { readSigmaDocuments } from './rule-document';
import { noSize, RuleFileRejected, type CompiledSize } from './rule-limits';
import { readRuleText } from './rule-text';
import { parseYamlDocuments, type YamlParse } from './yaml-document';

/** How a file's text becomes YAML documents: parsed, or taken from the rule cache (rule-cache.ts). */
export type YamlSource = (text: string, file: string, limits: CompileOptions['limits']) => YamlParse;

/** A correlation rule with where it was written, so link-time errors (unknown references) can point at it. */
export interface LocatedCorrelation {
  readonly rule: CorrelationRule;
  readonly locate: Locate;
}

export interface RuleFile {
  readonly file: string;
  /** sha256 of the file text; feeds the rule set version. Empty when nothing of the file loaded. */
  readonly contentHash: string;
  readonly rules: readonly CompiledRule[];
  readonly filters: readonly CompiledFilter[];
  readonly correlations: readonly LocatedCorrelation[];
  readonly errors: readonly VigilError[];
  /** Compiled size of its rules and filters: its share of the rule set's total bounds. */
  readonly size: CompiledSize;
}

/** Throws nothing for bad input: a file past a per-file bound (parse throws RuleFileRejected) loads nothing. */
export function compileRuleFile(file: string, text: string, options: CompileOptions, yaml: YamlSource = parseYamlDocuments): RuleFile {
  const problems: VigilError[] = [];
  const rules: CompiledRule[] = [];
  const filters: CompiledFilter[] = [];
  const correlations: LocatedCorrelation[] = [];
  try {
    const { documents, errors } = readSigmaDocuments(yaml(text, file, options.limits), file);
    problems.push(...errors);
    for (const doc of documents) {
      try {
        if (doc.kind === 'detection') rules.push(compileRule(doc, options));
        else if (doc.kind === 'filter') filters.push(compileFilter(doc, options));
        else correlations.push({ rule: parseCorrelationRule(doc.document, doc.locate), locate: doc.locate });
      } catch (e) {
        if (!(e instanceof VigilError) || e instanceof RuleFileRejected) throw e;
        problems.push(e);
      }
    }
  } catch (e) {
    if (!(e instanceof RuleFileRejected)) throw e;
    return emptyRuleFile(file, [...problems, e]);
  }
  // Nothing of a broken file loaded: it is not in use (not part of the rule set version either).
  if (problems.length > 0 && rules.length + filters.length + correlations.length === 0) return emptyRuleFile(file, problems);
  return {
    file,
    contentHash: createHash('sha256').update(text).digest('hex'),
    rules,
    filters,
    correlations,
    errors: problems,
    size: options.budget.used,
  };
}

/** Reads a rule file within the byte bound (checked before reading); a file that cannot be is an empty RuleFile. */
export async function readRuleSource(file: string, options: Pick<CompileOptions, 'limits'>): Promise<{ text: string } | RuleFile> {
  try {
    return { text: await readRuleText(file, options.limits) };
  } catch (e) {
    if (!(e instanceof RuleError)) throw e;
    return emptyRuleFile(file, [e]);
  }
}

/** Reads and compiles one rule file. */
export async function readRuleFile(file: string, options: CompileOptions): Promise<RuleFile> {
  const source = await readRuleSource(file, options);
  return 'text' in source ? compileRuleFile(file, source.text, options) : source;
}

/** A file of which nothing is in use (rejected, unreadable, or not compiled yet). */
export function emptyRuleFile(file: string, errors: readonly VigilError[] = []): RuleFile {
  return { file, contentHash: '', rules: [], filters: [], correlations: [], errors, size: noSize };
}
