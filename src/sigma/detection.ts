/**
 * The detection section → search identifiers and condition text, still uncompiled.
 * A search is an OR of alternatives; a map alternative is an AND of field items, a list of plain
 * values is a keyword (unbound) search. Reference: Sigma specification 2.x "Detection".
 */
import type { Location } from '../error-codes';
import { RuleError, type Locate } from './errors';
import { formatCount, limitReason, type RuleLimits } from './rule-limits';

/** One `field|mod1|mod2: values` entry; `field` is null for keyword search. */
export interface FieldItemSpec {
  readonly field: string | null;
  readonly modifiers: readonly string[];
  /** The values, OR-ed (AND-ed with the `all` modifier). */
  readonly values: readonly unknown[];
  readonly location: Location;
}

/** One way for a search to match: every item matches. */
export type AlternativeSpec = readonly FieldItemSpec[];

export interface SearchSpec {
  readonly name: string;
  readonly alternatives: readonly AlternativeSpec[];
}

export interface DetectionSpec {
  readonly searches: ReadonlyMap<string, SearchSpec>;
  /** Condition strings; several are OR-ed (Sigma 1.x list form). */
  readonly conditions: readonly string[];
  readonly conditionLocation: Location;
}

/** `base` is the path of the detection map inside its document (e.g. ['detection'] or ['filter']). */
export function parseDetection(
  detection: Readonly<Record<string, unknown>>,
  locate: Locate,
  base: readonly (string | number)[],
  limits: Pick<RuleLimits, 'maxFieldValues'>,
): DetectionSpec {
  const conditionPath = [...base, 'condition'];
  const condition = detection['condition'];
  const conditions = typeof condition === 'string' ? [condition] : Array.isArray(condition) ? condition : undefined;
  if (!conditions || conditions.length === 0 || !conditions.every((c) => typeof c === 'string' && c.trim() !== '')) {
    throw new RuleError('VGL_RULE_DETECTION', 'detection needs a condition: a non-empty string', locate(conditionPath));
  }
  const searches = new Map<string, SearchSpec>();
  for (const [name, value] of Object.entries(detection)) {
    if (name === 'condition' || name === 'timeframe') continue;
    searches.set(name, { name, alternatives: parseSearch(value, [...base, name], locate, limits) });
  }
  return { searches, conditions: conditions as string[], conditionLocation: locate(conditionPath) };
}

function parseSearch(value: unknown, path: (string | number)[], locate: Locate, limits: Pick<RuleLimits, 'maxFieldValues'>): AlternativeSpec[] {
  if (isMap(value)) return [parseMap(value, path, locate, limits)];
  if (Array.isArray(value)) {
    if (value.length === 0) throw new RuleError('VGL_RULE_DETECTION', 'a search identifier cannot be an empty list', locate(path));
    const alternatives: AlternativeSpec[] = [];
    const keywords: unknown[] = [];
    value.forEach((element, i) => {
      if (isMap(element)) alternatives.push(parseMap(element, [...path, i], locate, limits));
      else if (isScalar(element)) keywords.push(element);
      else throw new RuleError('VGL_RULE_DETECTION', 'a search list holds maps or plain values', locate([...path, i]));
    });
    if (keywords.length > limits.maxFieldValues) throw tooManyValues(limits, 'keyword list', keywords.length, locate(path));
    if (keywords.length > 0) alternatives.push([{ field: null, modifiers: [], values: keywords, location: locate(path) }]);
    return alternatives;
  }
  if (isScalar(value) && value !== null) return [[{ field: null, modifiers: [], values: [value], location: locate(path) }]];
  throw new RuleError('VGL_RULE_DETECTION', 'a search identifier must be a map, a list or a value', locate(path));
}

function parseMap(map: Record<string, unknown>, path: (string | number)[], locate: Locate, limits: Pick<RuleLimits, 'maxFieldValues'>): AlternativeSpec {
  const entries = Object.entries(map);
  if (entries.length === 0) throw new RuleError('VGL_RULE_DETECTION', 'a search map cannot be empty', locate(path));
  return entries.map(([key, raw]) => {
    const [field, ...modifiers] = key.split('|');
    const location = locate([...path, key]);
    const values = Array.isArray(raw) ? raw : [raw];
    // An empty OR would match nothing and an empty `all` everything: both are almost surely mistakes.
    if (values.length === 0) throw new RuleError('VGL_RULE_DETECTION', `${key} has an empty list of values`, location);
    if (values.length > limits.maxFieldValues) throw tooManyValues(limits, key, values.length, location);
    values.forEach((v, i) => {
      if (!isScalar(v)) {
        throw new RuleError('VGL_RULE_DETECTION', `values of ${key} must be strings, numbers, booleans or null`,
          locate(Array.isArray(raw) ? [...path, key, i] : [...path, key]));
      }
    });
    return { field: field === '' ? null : field!, modifiers, values, location };
  });
}

/** VGL_RULE_FIELD_VALUES; compile-item.ts raises the same error for values counted after modifier expansion. */
export function tooManyValues(limits: Pick<RuleLimits, 'maxFieldValues'>, what: string, count: number, location: Location, expanded = false): RuleError {
  const found = `${what} has ${expanded ? 'at least ' : ''}${formatCount(count)} values${expanded ? ' after modifier expansion' : ''}`;
  return new RuleError('VGL_RULE_FIELD_VALUES', limitReason('maxFieldValues', limits, found), location);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}
