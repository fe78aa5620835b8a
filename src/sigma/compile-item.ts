/**
 * One detection item (`field|modifiers: values`) → an ItemMatcher. Modifiers are looked up in the
 * registry, transforms are applied to each value in order (each may expand a value into several
 * alternatives), then the match modifier (or the value's type) picks the comparison.
 */
import { tooManyValues, type FieldItemSpec } from './detection';
import { RuleError } from './errors';
import type { FieldSlot, FieldTable } from './event-view';
import { keywordSource, type FieldSource } from './field-source';
import { compileGlob } from './glob';
import { numberOf, type ItemMatcher, type MatcherGroup, type ValueMatcher } from './matcher';
import type { PlaceholderValues } from './modifiers/expand';
import { modifierRegistry, type FlagKind, type MatchKind, type Modifier } from './modifiers/registry';
import { asStringValue, ModifierValueError, sigmaValueOf, type SigmaValue } from './modifiers/value';
import { parseCidr } from './network';
import { compileRegex } from './regex';
import { matcherChars, type RuleLimits, type SizeBudget } from './rule-limits';
import { ANY, type SigmaString } from './sigma-string';
import type { TimePart } from './time-part';

export interface CompileContext {
  readonly fields: FieldTable;
  readonly placeholders: PlaceholderValues;
  /** Where a rule field's values come from (the logsource's pipeline mapping). */
  readonly fieldSource: (field: string) => FieldSource;
  readonly limits: Pick<RuleLimits, 'maxFieldValues'>;
  readonly budget: SizeBudget;
}

/** Charges the item's compiled size to the file's budget (VGL_RULE_SET_TOO_LARGE past it). */
export function compileItem(spec: FieldItemSpec, ctx: CompileContext): ItemMatcher {
  try {
    const item = compileChecked(spec, ctx);
    const matchers = item.kind === 'values' ? item.groups.flatMap((g) => g.matchers) : [];
    ctx.budget.charge({ values: item.kind === 'values' ? matchers.length : 1, chars: matchers.reduce((n, m) => n + matcherChars(m), 0) }, spec.location);
    return item;
  } catch (e) {
    if (e instanceof ModifierValueError) throw new RuleError(e.code, e.message, spec.location);
    throw e;
  }
}

/** The modifiers of one item, sorted by role and checked for combinations that make no sense. */
interface ItemModifiers {
  readonly transforms: readonly Extract<Modifier, { kind: 'transform' }>[];
  readonly flags: ReadonlySet<FlagKind>;
  readonly match: MatchKind | undefined;
  readonly timePart: TimePart | undefined;
}

function readModifiers(spec: FieldItemSpec, key: string): ItemModifiers {
  const transforms: Extract<Modifier, { kind: 'transform' }>[] = [];
  const flags = new Set<FlagKind>();
  let match: MatchKind | undefined;
  let timePart: TimePart | undefined;
  for (const name of spec.modifiers) {
    const modifier = modifierRegistry.get(name);
    if (!modifier) throw new RuleError('VGL_RULE_UNKNOWN_MODIFIER', `unknown modifier '${name}' in '${key}'`, spec.location);
    if (modifier.kind === 'transform') {
      transforms.push(modifier);
    } else if (modifier.kind === 'flag') {
      flags.add(modifier.flag);
    } else if (modifier.kind === 'timePart') {
      if (timePart !== undefined) throw new ModifierValueError(`modifiers '${timePart}' and '${modifier.part}' cannot be combined in '${key}'`);
      timePart = modifier.part;
    } else {
      if (match !== undefined) throw new ModifierValueError(`modifiers '${match}' and '${modifier.match}' cannot be combined in '${key}'`);
      match = modifier.match;
    }
  }
  // Keywords are full-text search: a plain keyword matches inside any string of the event
  // (Reference: rsigma keyword detection; SigmaHQ keyword rules list message fragments).
  if (spec.field === null && match === undefined) match = 'contains';
  if ((flags.has('i') || flags.has('m') || flags.has('s')) && match !== 're') {
    throw new ModifierValueError(`regex flags i/m/s need the 're' modifier in '${key}'`);
  }
  if (timePart !== undefined && (spec.field === null || (match !== undefined && !['gt', 'gte', 'lt', 'lte'].includes(match)))) {
    throw new ModifierValueError(`'${timePart}' needs a field and compares numbers (alone or with gt/gte/lt/lte) in '${key}'`);
  }
  return { transforms, flags, match, timePart };
}

function compileChecked(spec: FieldItemSpec, ctx: CompileContext): ItemMatcher {
  const key = [spec.field ?? '', ...spec.modifiers].join('|');
  const { transforms, flags, match, timePart } = readModifiers(spec, key);
  const slot: FieldSlot = ctx.fields.slot(spec.field === null ? keywordSource : ctx.fieldSource(spec.field));
  if (match === 'exists' || match === 'fieldref') {
    if (spec.field === null) throw new ModifierValueError(`'${match}' needs a field name`);
    if (flags.has('neq') || timePart !== undefined) throw new ModifierValueError(`'${match}' cannot be combined with neq or time parts in '${key}'`);
    if (spec.values.length !== 1) throw new ModifierValueError(`'${match}' takes exactly one value in '${key}'`);
    const value = spec.values[0];
    if (match === 'exists') {
      if (typeof value !== 'boolean') throw new ModifierValueError(`'exists' takes true or false, got ${JSON.stringify(value)}`);
      return { kind: 'exists', field: slot, expected: value };
    }
    if (typeof value !== 'string') throw new ModifierValueError(`'fieldref' takes a field name, got ${JSON.stringify(value)}`);
    return { kind: 'fieldref', field: slot, other: ctx.fields.slot(ctx.fieldSource(value)), cased: flags.has('cased') };
  }
  const negated = flags.has('neq');
  // Expansion multiplies values (windash, base64offset, expand): the bound is checked after every step, before matchers are built.
  let expanded = 0;
  const groups: MatcherGroup[] = spec.values.map((raw) => {
    let alternatives: SigmaValue[] = [sigmaValueOf(raw)];
    for (const t of transforms) {
      alternatives = alternatives.flatMap((v) => (v.kind === 'null' ? [v] : t.apply(v, ctx)));
      if (expanded + alternatives.length > ctx.limits.maxFieldValues) throw tooManyValues(ctx.limits, key, expanded + alternatives.length, spec.location, true);
    }
    expanded += alternatives.length;
    const orNull = alternatives.some((v) => v.kind === 'null');
    if (orNull && (match !== undefined || timePart !== undefined || negated)) {
      throw new ModifierValueError(`null cannot be used with modifiers in '${key}'`);
    }
    const matchers = alternatives
      .filter((v) => v.kind !== 'null')
      .map((v) => (timePart !== undefined ? timePartMatcher(v, timePart, match) : valueMatcher(v, match, flags)));
    return { matchers, orNull, negated };
  });
  // neq over several values means "equal to none of them", so they form one negated group.
  const merged: MatcherGroup[] =
    (flags.has('all') && !negated) || groups.length <= 1
      ? groups
      : [{ matchers: groups.flatMap((g) => g.matchers), orNull: groups.some((g) => g.orNull), negated }];
  return { kind: 'values', field: slot, groups: merged };
}

function valueMatcher(v: SigmaValue, match: MatchKind | undefined, flags: ReadonlySet<FlagKind>): ValueMatcher {
  const cased = flags.has('cased');
  switch (match) {
    case undefined:
      if (v.kind === 'number') return { kind: 'number', op: 'eq', value: v.value };
      if (v.kind === 'boolean') return { kind: 'boolean', value: v.value };
      return stringMatcher(asStringValue(v, 'value').string, cased);
    case 'contains':
      return stringMatcher(asStringValue(v, match).string.withLeadingAny().withTrailingAny(), cased);
    case 'startswith':
      return stringMatcher(asStringValue(v, match).string.withTrailingAny(), cased);
    case 'endswith':
      return stringMatcher(asStringValue(v, match).string.withLeadingAny(), cased);
    case 're': {
      const pattern = asStringValue(v, match).raw;
      return { kind: 'regex', regex: compileRegex(pattern, { i: flags.has('i'), m: flags.has('m'), s: flags.has('s') }), pattern };
    }
    case 'cidr': {
      const raw = asStringValue(v, match).raw;
      const network = parseCidr(raw);
      if (!network) throw new ModifierValueError(`'${raw}' is not an IPv4 or IPv6 network in CIDR notation`);
      return { kind: 'cidr', network };
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const n = v.kind === 'number' ? v.value : v.kind === 'string' ? numberOf(v.raw) : undefined;
      if (n === undefined) throw new ModifierValueError(`'${match}' needs a number`);
      return { kind: 'number', op: match, value: n };
    }
    case 'exists':
    case 'fieldref':
      throw new ModifierValueError(`'${match}' is an item-level modifier`);
  }
}

function timePartMatcher(v: SigmaValue, part: TimePart, match: MatchKind | undefined): ValueMatcher {
  const n = v.kind === 'number' ? v.value : v.kind === 'string' ? numberOf(v.raw) : undefined;
  if (n === undefined) throw new ModifierValueError(`'${part}' compares with a number`);
  const op = match === 'gt' || match === 'gte' || match === 'lt' || match === 'lte' ? match : 'eq';
  return { kind: 'timePart', part, op, value: n };
}

/** Picks the cheapest comparison that is equivalent to the wildcard pattern. */
function stringMatcher(s: SigmaString, cased: boolean): ValueMatcher {
  const norm = cased ? (t: string) => t : (t: string) => t.toLowerCase();
  const parts = s.parts;
  const plain = s.plain;
  if (plain !== undefined) return { kind: 'equals', text: norm(plain), cased };
  const inner = parts.filter((p) => p !== ANY);
  if (inner.length === 1 && typeof inner[0] === 'string') {
    const text = norm(inner[0]);
    const leading = parts[0] === ANY;
    const trailing = parts[parts.length - 1] === ANY;
    if (parts.length === 3 && leading && trailing) return { kind: 'contains', text, cased };
    if (parts.length === 2 && leading) return { kind: 'endsWith', text, cased };
    if (parts.length === 2 && trailing) return { kind: 'startsWith', text, cased };
  }
  return { kind: 'glob', glob: compileGlob(s, norm), cased };
}
