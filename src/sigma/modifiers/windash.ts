/**
 * windash: a `-` or `/` that starts a command-line flag also matches the other dash forms Windows
 * accepts (`-`, `/`, en dash, em dash, horizontal bar). Every combination is generated.
 * Reference: pySigma SigmaWindowsDashModifier (pattern \B[-/]\b).
 */
import { asStringValue, MAX_EXPANSIONS, ModifierValueError, type SigmaValue } from './value';

const dashes = ['-', '/', '\u2013', '\u2014', '\u2015'];
const flagDash = /\B[-/]\b/g;

function variants(literal: string): string[] {
  const pieces = literal.split(flagDash);
  if (pieces.length === 1) return [literal];
  let results = [pieces[0]!];
  for (const piece of pieces.slice(1)) results = results.flatMap((prefix) => dashes.map((d) => prefix + d + piece));
  return results;
}

export function windash(value: SigmaValue): SigmaValue[] {
  const v = asStringValue(value, 'windash');
  const flags = v.string.parts.reduce<number>((n, p) => n + (typeof p === 'string' ? (p.match(flagDash)?.length ?? 0) : 0), 0);
  if (dashes.length ** flags > MAX_EXPANSIONS) {
    throw new ModifierValueError(`windash would expand '${v.raw}' into ${dashes.length}^${flags} variants (limit ${MAX_EXPANSIONS})`);
  }
  return v.string.expandLiterals(variants).map((string) => ({ kind: 'string', string, raw: v.raw, binary: v.binary }));
}
