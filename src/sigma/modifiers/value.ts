/**
 * A rule value on its way through the modifier chain. Transforms (encodings, windash, expand) map
 * one value to one or more alternatives; the match modifier at the end decides how it is compared.
 */
import type { RuleErrorCode } from '../errors';
import { SigmaString } from '../sigma-string';

export type SigmaValue =
  /** `binary`: literal parts are byte strings (char codes < 256), produced by the utf16 encoders. */
  | { readonly kind: 'string'; readonly string: SigmaString; readonly raw: string; readonly binary: boolean }
  | { readonly kind: 'number'; readonly value: number; readonly raw: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' };

/**
 * The most alternatives one rule value may expand into (windash, expand). Expansion is
 * combinatorial, so a hostile rule could otherwise exhaust memory at load time.
 */
export const MAX_EXPANSIONS = 4096;

/** A modifier applied to a value it cannot handle; the compiler adds the rule location. */
export class ModifierValueError extends Error {
  constructor(
    message: string,
    readonly code: RuleErrorCode = 'VGL_RULE_MODIFIER',
  ) {
    super(message);
  }
}

export function sigmaValueOf(v: unknown): SigmaValue {
  if (v === null) return { kind: 'null' };
  if (typeof v === 'boolean') return { kind: 'boolean', value: v };
  if (typeof v === 'number') return { kind: 'number', value: v, raw: String(v) };
  const raw = String(v);
  return { kind: 'string', string: SigmaString.parse(raw), raw, binary: false };
}

/** Numbers take part in string modifiers as their decimal text (Reference: pySigma SigmaNumber → SigmaString). */
export function asStringValue(v: SigmaValue, modifier: string): Extract<SigmaValue, { kind: 'string' }> {
  if (v.kind === 'string') return v;
  if (v.kind === 'number') return { kind: 'string', string: SigmaString.literal(v.raw), raw: v.raw, binary: false };
  throw new ModifierValueError(`modifier '${modifier}' needs a string value, got ${v.kind}`);
}
