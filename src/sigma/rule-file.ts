/**
 * One rule file → its compiled rules, filters and correlation rules, plus every problem found.
 * Each document compiles on its own; a broken document is reported and its siblings still load.
 */
import { createHash } from 'node:crypto';
import { VigilError } from '../error-codes';
import { compileFilter, compileRule, type CompiledFilter, type CompiledRule, type CompileOptions } from './compile';
import { parseCorrelationRule, type CorrelationRule } from './correlation-rule';
import type { Locate } from './errors';
import { readSigmaDocuments } from './rule-document';

/** A correlation rule with where it was written, so link-time errors (unknown references) can point at it. */
export interface LocatedCorrelation {
  readonly rule: CorrelationRule;
  readonly locate: Locate;
}

export interface RuleFile {
  readonly file: string;
  /** sha256 of the file text; feeds the rule set version. */
  readonly contentHash: string;
  readonly rules: readonly CompiledRule[];
  readonly filters: readonly CompiledFilter[];
  readonly correlations: readonly LocatedCorrelation[];
  readonly errors: readonly VigilError[];
}

export function compileRuleFile(file: string, text: string, options: CompileOptions): RuleFile {
  const { documents, errors } = readSigmaDocuments(text, file);
  const problems: VigilError[] = [...errors];
  const rules: CompiledRule[] = [];
  const filters: CompiledFilter[] = [];
  const correlations: LocatedCorrelation[] = [];
  for (const doc of documents) {
    try {
      if (doc.kind === 'detection') rules.push(compileRule(doc, options));
      else if (doc.kind === 'filter') filters.push(compileFilter(doc, options));
      else correlations.push({ rule: parseCorrelationRule(doc.document, doc.locate), locate: doc.locate });
    } catch (e) {
      if (!(e instanceof VigilError)) throw e;
      problems.push(e);
    }
  }
  return {
    file,
    contentHash: createHash('sha256').update(text).digest('hex'),
    rules,
    filters,
    correlations,
    errors: problems,
  };
}
