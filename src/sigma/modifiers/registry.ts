/**
 * Every value modifier Vigil understands, by its YAML spelling. The spelling appears only here.
 * Reference: Sigma specification 2.x "Modifiers"; pySigma modifiers.py modifier_mapping.
 */
import { base64, base64offset, utf16, utf16be, utf16le } from './encoding';
import { expand, type PlaceholderValues } from './expand';
import { timeParts, type TimePart } from '../time-part';
import type { SigmaValue } from './value';
import { windash } from './windash';

/** How the (transformed) value is compared with event values. */
export type MatchKind = 'contains' | 'startswith' | 'endswith' | 're' | 'cidr' | 'gt' | 'gte' | 'lt' | 'lte' | 'exists' | 'fieldref';
/**
 * Flags: `cased` (case-sensitive), `all` (AND the values), `i`/`m`/`s` (regex flags, only with
 * `re`), `neq` (the field has a value and none of the values match it).
 */
export type FlagKind = 'cased' | 'all' | 'i' | 'm' | 's' | 'neq';

export interface TransformContext {
  readonly placeholders: PlaceholderValues;
}

export type Modifier =
  | { readonly kind: 'match'; readonly match: MatchKind }
  | { readonly kind: 'flag'; readonly flag: FlagKind }
  /** Compare a part of the event's timestamp (numbers only; with `gt`/`gte`/`lt`/`lte` or equality). */
  | { readonly kind: 'timePart'; readonly part: TimePart }
  | {
      readonly kind: 'transform';
      readonly name: string;
      readonly apply: (value: SigmaValue, ctx: TransformContext) => SigmaValue[];
    };

const match = (m: MatchKind): Modifier => ({ kind: 'match', match: m });
const flag = (f: FlagKind): Modifier => ({ kind: 'flag', flag: f });
const transform = (name: string, apply: (value: SigmaValue, ctx: TransformContext) => SigmaValue[]): Modifier => ({
  kind: 'transform',
  name,
  apply,
});

export const modifierRegistry: ReadonlyMap<string, Modifier> = new Map<string, Modifier>([
  ['contains', match('contains')],
  ['startswith', match('startswith')],
  ['endswith', match('endswith')],
  ['re', match('re')],
  ['cidr', match('cidr')],
  ['gt', match('gt')],
  ['gte', match('gte')],
  ['lt', match('lt')],
  ['lte', match('lte')],
  ['exists', match('exists')],
  ['fieldref', match('fieldref')],
  ['cased', flag('cased')],
  ['all', flag('all')],
  ['i', flag('i')],
  ['ignorecase', flag('i')],
  ['m', flag('m')],
  ['multiline', flag('m')],
  ['s', flag('s')],
  ['dotall', flag('s')],
  ['neq', flag('neq')],
  ...timeParts.map((part): [string, Modifier] => [part, { kind: 'timePart', part }]),
  ['base64', transform('base64', base64)],
  ['base64offset', transform('base64offset', base64offset)],
  ['utf16le', transform('utf16le', utf16le)],
  ['wide', transform('wide', utf16le)],
  ['utf16be', transform('utf16be', utf16be)],
  ['utf16', transform('utf16', utf16)],
  ['windash', transform('windash', windash)],
  ['expand', transform('expand', (v, ctx) => expand(v, ctx.placeholders))],
]);
