/**
 * expand: `%name%` placeholders are replaced by each value configured for `name` (an OR). A
 * placeholder absent from the configuration is an error: silently matching nothing would change
 * what the rule means. Configure an empty list to state "no values" explicitly.
 * Reference: Sigma specification 2.x "expand"; pySigma ValueListPlaceholderTransformation.
 */
import { SigmaString } from '../sigma-string';
import { asStringValue, MAX_EXPANSIONS, ModifierValueError, type SigmaValue } from './value';

/** Placeholder name → its values (each a Sigma string, wildcards allowed). */
export type PlaceholderValues = Readonly<Record<string, readonly string[]>>;

const placeholder = /%([A-Za-z0-9_.\-]+)%/g;

export function expand(value: SigmaValue, placeholders: PlaceholderValues): SigmaValue[] {
  const v = asStringValue(value, 'expand');
  const pieces = v.raw.split(placeholder); // odd indexes are placeholder names
  if (pieces.length === 1) return [v];
  let results = [''];
  pieces.forEach((piece, i) => {
    if (i % 2 === 0) {
      results = results.map((r) => r + piece);
      return;
    }
    const values = Object.hasOwn(placeholders, piece) ? placeholders[piece]! : undefined;
    if (values === undefined) throw new ModifierValueError(`placeholder %${piece}% has no values in the placeholder configuration`, 'VGL_RULE_PLACEHOLDER');
    if (results.length * values.length > MAX_EXPANSIONS) {
      throw new ModifierValueError(`expand would produce more than ${MAX_EXPANSIONS} values for '${v.raw}'`);
    }
    results = results.flatMap((r) => values.map((val) => r + val));
  });
  return results.map((raw) => ({ kind: 'string', string: SigmaString.parse(raw), raw, binary: false }));
}
