/**
 * The Sigma correlation rule model and its parser. The Sigma loader hands every YAML document with a
 * `correlation:` key to `parseCorrelationRule`; the correlation core (src/correlation) executes the result.
 * Reference: Sigma correlation rules specification v2.1.0 (types, group-by, timespan, aliases, generate,
 * metric types value_sum/avg/percentile) and pySigma `sigma/correlations.py` (value_median, `percentile`
 * condition key, default temporal condition `gte: <number of rules>`).
 *
 * Absence ("A not followed by B within T"): Vigil uses the Sigma syntax of SEP #198 "Condition Extension in
 * Temporal Correlation Rules" (SigmaHQ/sigma-specification issue 198, approved for v2.2.0, spec PR #205,
 * implemented in pySigma as `SigmaExtendedCorrelationCondition`): a `temporal` or `temporal_ordered`
 * correlation may give `condition` as a string over its rule names with `and`, `or`, `not` and parentheses
 * (keywords case-insensitive, precedence not > and > or). No Vigil-only syntax is needed:
 *
 *     correlation:
 *       type: temporal_ordered          # B must FOLLOW A: B in [A.time, A.time + timespan]
 *       rules: [mfa_device_deactivated, mfa_device_enabled]
 *       condition: mfa_device_deactivated and not mfa_device_enabled
 *       timespan: 10m
 *
 * With `type: temporal` any B within timespan before or after A cancels. Shapes Vigil evaluates (others are
 * rejected at load with VGL_RULE_CORRELATION): without `not`, any and/or expression for `temporal` and the
 * conjunction of all rules for `temporal_ordered`; with `not`, exactly `<rule> and not <rule> [and not <rule>…]`.
 */
import { z } from 'zod';
import { VigilError, type Location } from '../error-codes';
import type { RuleLevel } from '../model/detection';
import { parseDuration } from '../model/duration';
import { SHADOW_ATTRIBUTE } from './rule';

export const correlationTypes = [
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
  'value_sum',
  'value_avg',
  'value_percentile',
  'value_median',
] as const;
export type CorrelationType = (typeof correlationTypes)[number];

export const compareOps = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
export type CompareOp = (typeof compareOps)[number];
/** All present bounds must hold (a range is `gt` + `lte`, spec §Condition). */
export type Bounds = Partial<Record<CompareOp, number>>;

export type RuleExpression =
  | { op: 'rule'; ref: string }
  | { op: 'not'; arg: RuleExpression }
  | { op: 'and' | 'or'; args: RuleExpression[] };

export type CorrelationCondition =
  /** Compares the window's aggregate (count, distinct count, sum, …) with `bounds`. */
  | { kind: 'threshold'; bounds: Bounds; field: string[]; percentile: number }
  /** SEP #198 string condition over rule references (temporal types only). */
  | { kind: 'expression'; text: string; expression: RuleExpression };

export interface CorrelationRule {
  kind: 'correlation';
  /** Stable key for state and alerts: Sigma `id`, else `name`, else `title` (as rsigma does). */
  id: string;
  name?: string;
  title: string;
  status?: string;
  description?: string;
  /** Sigma `level` is optional for correlations; Vigil defaults to `medium`. */
  level: RuleLevel;
  tags: string[];
  type: CorrelationType;
  /** References to detection or correlation rules, by `id` or `name`, as written. */
  rules: string[];
  groupBy: string[];
  /** The timespan as written (`5m`) and in milliseconds. */
  timespan: string;
  timespanMs: number;
  condition: CorrelationCondition;
  /** alias → (rule name or id → field path in that rule's events). */
  aliases: Record<string, Record<string, string>>;
  /** Whether the referenced rules still raise their own alerts (Sigma `generate`, default false). */
  generate: boolean;
  /** Set when the condition negates rules: the rule that starts the wait and those that cancel it. */
  absence: { anchor: string; absent: string[] } | null;
  /**
   * A shadow correlation: `vigil.shadow: true` on the document, or (set when the rule set is linked,
   * rule-set-builder.ts) any rule it references, directly or through another correlation, is a shadow rule.
   */
  shadow?: true;
}

const CorrelationDocSchema = z.object({
  title: z.string().min(1).max(256),
  id: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  status: z.enum(['stable', 'test', 'experimental', 'deprecated', 'unsupported']).optional(),
  description: z.string().optional(),
  level: z.enum(['informational', 'low', 'medium', 'high', 'critical']).optional(),
  tags: z.array(z.string().min(1)).optional(),
  [SHADOW_ATTRIBUTE]: z.boolean().optional(),
  correlation: z.strictObject({
    type: z.enum(correlationTypes),
    rules: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    'group-by': z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
    // Sigma's spelling (an integer and s, m, h, d or w), a subset of the duration grammar that converts it.
    timespan: z
      .string()
      .regex(/^[1-9][0-9]*[smhdw]$/, 'timespan must be a positive integer followed by s, m, h, d or w (e.g. 90m)'),
    condition: z.unknown().optional(),
    aliases: z.record(z.string().min(1), z.record(z.string().min(1), z.string().min(1))).optional(),
    generate: z.boolean().optional(),
  }),
});

const ThresholdSchema = z.strictObject({
  gt: z.number().optional(),
  gte: z.number().optional(),
  lt: z.number().optional(),
  lte: z.number().optional(),
  eq: z.number().optional(),
  neq: z.number().optional(),
  field: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  percentile: z.number().min(0).max(100).optional(),
});

type Path = (string | number)[];
type Fail = (path: Path, reason: string) => never;

/** Validates one correlation document; throws VigilError VGL_RULE_CORRELATION located at the bad field. */
export function parseCorrelationRule(
  doc: Record<string, unknown>,
  locate: (path: Path) => Location,
): CorrelationRule {
  const fail: Fail = (path, reason) => {
    throw new VigilError('VGL_RULE_CORRELATION', reason, { field: path.join('.'), ...locate(path) });
  };
  const parsed = CorrelationDocSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(issue.path.map((p) => (typeof p === 'number' ? p : String(p))), issue.message);
  }
  const { correlation: c, ...meta } = parsed.data!;
  const id = meta.id ?? meta.name ?? meta.title;
  if (id === '__proto__') fail([meta.id ? 'id' : meta.name ? 'name' : 'title'], '"__proto__" cannot identify a rule');

  const groupBy = typeof c['group-by'] === 'string' ? [c['group-by']] : (c['group-by'] ?? []);
  const duplicate = groupBy.find((f, i) => groupBy.indexOf(f) !== i);
  if (duplicate !== undefined) fail(['correlation', 'group-by'], `group-by lists "${duplicate}" twice`);

  const temporal = c.type === 'temporal' || c.type === 'temporal_ordered';
  let rules = typeof c.rules === 'string' ? [c.rules] : (c.rules ?? []);
  const condition = parseCondition(c.type, c.condition, rules, fail);
  const repeated = rules.find((r, i) => rules.indexOf(r) !== i);
  if (repeated !== undefined) fail(['correlation', 'rules', rules.lastIndexOf(repeated)], `rules lists "${repeated}" twice`);
  if (rules.length === 0) {
    if (condition.kind !== 'expression') fail(['correlation', 'rules'], `a ${c.type} correlation needs rules`);
    rules = referencedRules(condition.expression); // SEP #198: temporal rules may come from the condition alone
  }
  if (temporal && condition.kind === 'threshold' && Object.keys(condition.bounds).length === 0) {
    condition.bounds = { gte: rules.length }; // pySigma default: every referenced rule must appear
  }

  const aliases = c.aliases ?? {};
  for (const [alias, perRule] of Object.entries(aliases)) {
    for (const ruleRef of Object.keys(perRule)) {
      if (!rules.includes(ruleRef)) {
        fail(['correlation', 'aliases', alias, ruleRef], `alias "${alias}" names rule "${ruleRef}", which is not in rules`);
      }
    }
  }

  return {
    kind: 'correlation',
    id,
    ...(meta.name ? { name: meta.name } : {}),
    title: meta.title,
    ...(meta.status ? { status: meta.status } : {}),
    ...(meta.description ? { description: meta.description } : {}),
    level: meta.level ?? 'medium',
    tags: meta.tags ?? [],
    type: c.type,
    rules,
    groupBy,
    timespan: c.timespan,
    timespanMs: parseDuration(c.timespan),
    condition,
    aliases,
    generate: c.generate ?? false,
    absence: condition.kind === 'expression' ? absenceShape(condition.expression) : null,
    ...(meta[SHADOW_ATTRIBUTE] === true ? { shadow: true as const } : {}),
  };
}

function parseCondition(type: CorrelationType, raw: unknown, rules: string[], fail: Fail): CorrelationCondition {
  const temporal = type === 'temporal' || type === 'temporal_ordered';
  if (typeof raw === 'string') {
    if (!temporal) fail(['correlation', 'condition'], `a string condition is only allowed for temporal and temporal_ordered, not ${type}`);
    return parseExpressionCondition(type, raw, rules, fail);
  }
  if (raw === undefined) {
    if (!temporal) fail(['correlation', 'condition'], `a ${type} correlation needs a condition`);
    return { kind: 'threshold', bounds: {}, field: [], percentile: 50 };
  }
  const parsed = ThresholdSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(['correlation', 'condition', ...issue.path.map(String)], issue.message);
  }
  const { field, percentile, ...ops } = parsed.data!;
  const bounds: Bounds = {};
  for (const op of compareOps) if (ops[op] !== undefined) bounds[op] = ops[op];
  if (Object.keys(bounds).length === 0) fail(['correlation', 'condition'], `the condition needs one of ${compareOps.join(', ')}`);
  const fields = typeof field === 'string' ? [field] : (field ?? []);
  const needsField = type.startsWith('value_');
  if (needsField && fields.length === 0) fail(['correlation', 'condition'], `a ${type} condition needs a field`);
  if (!needsField && fields.length > 0) fail(['correlation', 'condition', 'field'], `a ${type} condition takes no field`);
  if (fields.length > 1 && type !== 'value_count') fail(['correlation', 'condition', 'field'], `${type} aggregates one field, not a list`);
  if (percentile !== undefined && type !== 'value_percentile') {
    fail(['correlation', 'condition', 'percentile'], `percentile only applies to value_percentile`);
  }
  return { kind: 'threshold', bounds, field: fields, percentile: percentile ?? 50 };
}

function parseExpressionCondition(type: CorrelationType, text: string, rules: string[], fail: Fail): CorrelationCondition {
  const at: Path = ['correlation', 'condition'];
  const expression = parseRuleExpression(text, (reason) => fail(at, reason));
  const refs = referencedRules(expression);
  if (rules.length > 0) {
    const undefinedRef = refs.find((r) => !rules.includes(r));
    if (undefinedRef) fail(at, `the condition names "${undefinedRef}", which is not in rules`);
    const unused = rules.find((r) => !refs.includes(r));
    if (unused) fail(at, `rule "${unused}" is in rules but not in the condition`);
  }
  const hasNot = containsNot(expression);
  if (hasNot && !absenceShape(expression)) {
    fail(at, 'Vigil evaluates negation only as "<rule> and not <rule> [and not <rule> ...]" (absence)');
  }
  if (!hasNot && type === 'temporal_ordered' && !isConjunctionOfRules(expression)) {
    fail(at, 'a temporal_ordered condition must be the and of its rules (order comes from the rules list)');
  }
  return { kind: 'expression', text, expression };
}

function containsNot(e: RuleExpression): boolean {
  return e.op === 'not' || (e.op !== 'rule' && e.args.some(containsNot));
}

function isConjunctionOfRules(e: RuleExpression): boolean {
  return e.op === 'rule' || (e.op === 'and' && e.args.every(isConjunctionOfRules));
}

function absenceShape(e: RuleExpression): CorrelationRule['absence'] {
  if (e.op !== 'and') return null;
  const anchors = e.args.filter((a) => a.op === 'rule');
  const absent = e.args.flatMap((a) => (a.op === 'not' && a.arg.op === 'rule' ? [a.arg.ref] : []));
  if (anchors.length !== 1 || absent.length === 0 || anchors.length + absent.length !== e.args.length) return null;
  const anchor = (anchors[0] as { ref: string }).ref;
  return absent.includes(anchor) ? null : { anchor, absent };
}

/** Rule references in order of first appearance. */
export function referencedRules(e: RuleExpression): string[] {
  const out: string[] = [];
  const walk = (n: RuleExpression): void => {
    if (n.op === 'rule') {
      if (!out.includes(n.ref)) out.push(n.ref);
    } else if (n.op === 'not') walk(n.arg);
    else n.args.forEach(walk);
  };
  walk(e);
  return out;
}

/** Recursive descent over `or` < `and` < `not` < (expr) | rule-ref; `and`/`or` chains are flattened. */
export function parseRuleExpression(text: string, fail: (reason: string) => never): RuleExpression {
  const tokens = text.match(/\(|\)|[^\s()]+/g) ?? [];
  let pos = 0;
  const keyword = (t: string | undefined): string | undefined =>
    t && ['and', 'or', 'not'].includes(t.toLowerCase()) ? t.toLowerCase() : undefined;
  const binary = (op: 'and' | 'or', next: () => RuleExpression): RuleExpression => {
    const args = [next()];
    while (keyword(tokens[pos]) === op) {
      pos++;
      args.push(next());
    }
    return args.length === 1 ? args[0]! : { op, args };
  };
  const orExpr = (): RuleExpression => binary('or', andExpr);
  const andExpr = (): RuleExpression => binary('and', unary);
  const unary = (): RuleExpression => {
    const t = tokens[pos];
    if (t === undefined) fail(`condition "${text}" ends where a rule name was expected`);
    if (keyword(t) === 'not') {
      pos++;
      return { op: 'not', arg: unary() };
    }
    if (t === '(') {
      pos++;
      const inner = orExpr();
      if (tokens[pos] !== ')') fail(`condition "${text}" is missing a closing parenthesis`);
      pos++;
      return inner;
    }
    if (t === ')' || keyword(t)) fail(`condition "${text}" has "${t}" where a rule name was expected`);
    pos++;
    return { op: 'rule', ref: t! };
  };
  const expression = orExpr();
  if (pos < tokens.length) fail(`condition "${text}" has unexpected "${tokens[pos]}"`);
  return expression;
}
