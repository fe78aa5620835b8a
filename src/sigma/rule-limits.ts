/**
 * Bounds on what loading rules may cost. A rule file past a bound is rejected with a located
 * VGL_RULE_* error naming the bound and the variable that raises it; the other rules load. Each
 * bound is checked before the work it protects: file bytes before reading (fstat), YAML nodes while
 * lexing and documents as they complete (before they become data), values per field before
 * compiling (and again during modifier expansion), and the rule set's total matcher values while
 * compiling. A runaway file (a 50 MB list) thus costs its first over-bound step, not a full load.
 * The rule set's size is bounded in two units because its memory grows with both: each compiled
 * value costs ~340 bytes, and each character of matcher text up to ~130 more in the literal index
 * (substring automaton; measured on 100,000 `contains` values).
 * Defaults leave about twice the room all of SigmaHQ and Vigil's pack need (3,780 SigmaHQ files at
 * 8eaafff, Aug 2026: the largest, driver_load_win_vuln_drivers.yml, is 295 KB with 8,923 YAML nodes
 * and 4,432 values in one field; with the pack they compile to 47,712 values, 914,615 characters).
 */
import type { Location } from '../error-codes';
import { RuleError } from './errors';
import type { ValueMatcher } from './matcher';

export interface RuleLimits {
  /** Bytes per rule file, checked with stat before the file is read. */
  readonly maxFileBytes: number;
  /** YAML documents (`---`) per rule file. */
  readonly maxDocuments: number;
  /** YAML nodes per rule file, counted on the lexer's tokens (yaml-document.ts) before documents are composed. */
  readonly maxYamlNodes: number;
  /** Values of one detection field (or keyword list), as written and after modifier expansion. */
  readonly maxFieldValues: number;
  /** Compiled matcher values over the whole rule set. */
  readonly maxTotalValues: number;
  /** Characters of matcher text (literals, patterns) over the whole rule set. */
  readonly maxTotalChars: number;
}

export const defaultRuleLimits: RuleLimits = {
  maxFileBytes: 1_048_576,
  maxDocuments: 1_000,
  maxYamlNodes: 100_000,
  maxFieldValues: 20_000,
  maxTotalValues: 100_000,
  maxTotalChars: 2_000_000,
};

/** The configuration variable that raises each bound (README "Configuration"; read in src/config.ts). */
export const ruleLimitVariables: Readonly<Record<keyof RuleLimits, string>> = {
  maxFileBytes: 'VIGIL_RULE_MAX_FILE_BYTES',
  maxDocuments: 'VIGIL_RULE_MAX_DOCUMENTS',
  maxYamlNodes: 'VIGIL_RULE_MAX_YAML_NODES',
  maxFieldValues: 'VIGIL_RULE_MAX_FIELD_VALUES',
  maxTotalValues: 'VIGIL_RULE_MAX_TOTAL_VALUES',
  maxTotalChars: 'VIGIL_RULE_MAX_TOTAL_CHARS',
};

const units: Readonly<Record<keyof RuleLimits, string>> = {
  maxFileBytes: 'bytes per rule file',
  maxDocuments: 'YAML documents per rule file',
  maxYamlNodes: 'YAML nodes per rule file',
  maxFieldValues: 'values per detection field',
  maxTotalValues: 'matcher values in the rule set',
  maxTotalChars: 'characters of matcher text in the rule set',
};

export const formatCount = (n: number): string => n.toLocaleString('en-US');

/**
 * A bound that rejects the whole file (nothing of it loads; under hot reload its previous version
 * stays). Thrown out of the per-document loop, unlike document-level errors.
 */
export class RuleFileRejected extends RuleError {}

/** `what` says what was found ("file is 51,200,190 bytes"); the reason adds the bound and how to raise it. */
export function limitReason<B extends keyof RuleLimits>(bound: B, limits: Pick<RuleLimits, B>, what: string): string {
  return `${what}, above the limit of ${formatCount(limits[bound])} ${units[bound]} (raise ${ruleLimitVariables[bound]} to allow more)`;
}

/** What compiled rules weigh in the rule set. */
export interface CompiledSize {
  readonly values: number;
  readonly chars: number;
}

export const noSize: CompiledSize = { values: 0, chars: 0 };

export function addSizes(a: CompiledSize, b: CompiledSize): CompiledSize {
  return { values: a.values + b.values, chars: a.chars + b.chars };
}

/** Characters of matcher text a value matcher holds (what the literal index and the matcher keep). */
export function matcherChars(m: ValueMatcher): number {
  switch (m.kind) {
    case 'equals':
    case 'startsWith':
    case 'endsWith':
    case 'contains':
      return m.text.length;
    case 'glob':
      return [m.glob.head, ...m.glob.middle, m.glob.tail].reduce((n, segment) => n + (segment?.text.length ?? 0), 0);
    case 'regex':
      return m.pattern.length;
    case 'cidr':
    case 'number':
    case 'boolean':
    case 'timePart':
      return 0;
  }
}

/**
 * What one file may still add to the rule set: the total bounds minus what the files loaded before
 * it hold (path order at start-up; under hot reload, the versions in use of every other file).
 */
export class SizeBudget {
  private spent: CompiledSize = noSize;

  constructor(
    private readonly limits: RuleLimits,
    private readonly usedElsewhere: CompiledSize,
  ) {}

  get used(): CompiledSize {
    return this.spent;
  }

  /** Counts what was compiled at `location`; past either total bound the file is rejected. */
  charge(size: CompiledSize, location: Location): void {
    this.spent = addSizes(this.spent, size);
    this.check('maxTotalValues', 'values', 'matcher values', location);
    this.check('maxTotalChars', 'chars', 'characters of matcher text', location);
  }

  private check(bound: 'maxTotalValues' | 'maxTotalChars', unit: keyof CompiledSize, what: string, location: Location): void {
    const total = this.usedElsewhere[unit] + this.spent[unit];
    if (total <= this.limits[bound]) return;
    const found = `this file takes the rule set to at least ${formatCount(total)} ${what} (other files hold ${formatCount(this.usedElsewhere[unit])}, this one ${formatCount(this.spent[unit])} so far)`;
    throw new RuleFileRejected('VGL_RULE_SET_TOO_LARGE', limitReason(bound, this.limits, found), location);
  }
}
