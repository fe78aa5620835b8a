import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '../../src/error-codes';
import { correlationFromYaml } from './helpers';

const specExamples = join(__dirname, '../corpus/sigma-specification/tests/schema/correlation');

describe('parseCorrelationRule', () => {
  test.each(readdirSync(specExamples).filter((f) => f.endsWith('.yml')))('parses the spec example %s', (file) => {
    const rule = correlationFromYaml(readFileSync(join(specExamples, file), 'utf8'), file);
    expect(rule.kind).toBe('correlation');
    expect(rule.rules.length).toBeGreaterThan(0);
    expect(rule.timespanMs).toBeGreaterThan(0);
  });

  test('fills the model: stable id, timespan in ms, level default, generate default, range condition', () => {
    const rule = correlationFromYaml(`
title: Burst
name: burst
correlation:
  type: event_count
  rules: [a]
  group-by: [user]
  timespan: 90m
  condition: { gt: 100, lte: 200 }
`);
    expect(rule).toMatchObject({
      id: 'burst',
      name: 'burst',
      level: 'medium',
      generate: false,
      timespan: '90m',
      timespanMs: 90 * 60_000,
      groupBy: ['user'],
      condition: { kind: 'threshold', bounds: { gt: 100, lte: 200 } },
      absence: null,
    });
  });

  test('temporal without condition needs every rule (pySigma default gte: number of rules)', () => {
    const rule = correlationFromYaml(`
title: t
correlation: { type: temporal, rules: [a, b, c], group-by: [h], timespan: 5m }
`);
    expect(rule.condition).toEqual({ kind: 'threshold', bounds: { gte: 3 }, field: [], percentile: 50 });
  });

  test('SEP #198 string condition: negation becomes an absence; rules may come from the condition alone', () => {
    const rule = correlationFromYaml(`
title: MFA off and not back on
correlation:
  type: temporal_ordered
  group-by: [user]
  timespan: 10m
  condition: mfa_off AND NOT mfa_on
`);
    expect(rule.rules).toEqual(['mfa_off', 'mfa_on']);
    expect(rule.absence).toEqual({ anchor: 'mfa_off', absent: ['mfa_on'] });
  });

  test('value_percentile keeps its percentile; value_count accepts a field list', () => {
    const p = correlationFromYaml(`
title: p
correlation: { type: value_percentile, rules: [a], group-by: [h], timespan: 1h, condition: { field: bytes, percentile: 95, gt: 10 } }
`);
    expect(p.condition).toMatchObject({ field: ['bytes'], percentile: 95 });
    const v = correlationFromYaml(`
title: v
correlation: { type: value_count, rules: [a], group-by: [h], timespan: 1h, condition: { field: [src, dst], gte: 2 } }
`);
    expect(v.condition).toMatchObject({ field: ['src', 'dst'] });
  });

  // [case, yaml, field, line, col, reason fragment]
  test.each([
    ['unknown type', 'title: x\ncorrelation:\n  type: near\n  rules: [a]\n  timespan: 5m\n', 'correlation.type', 3, 9, 'Invalid option'],
    ['bad timespan', 'title: x\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 5 minutes\n', 'correlation.timespan', 5, 13, 'timespan'],
    ['zero timespan', 'title: x\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 0s\n', 'correlation.timespan', 5, 13, 'timespan'],
    ['missing condition', 'title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 5m\n', 'correlation.condition', 3, 3, 'needs a condition'],
    ['value type without field', 'title: x\ncorrelation:\n  type: value_sum\n  rules: [a]\n  timespan: 5m\n  condition:\n    gt: 3\n', 'correlation.condition', 7, 5, 'needs a field'],
    ['unknown condition key', 'title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition:\n    gt: 3\n    greater: 4\n', 'correlation.condition', 7, 5, 'greater'],
    ['no operator', 'title: x\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 5m\n  condition:\n    field: user\n', 'correlation.condition', 7, 5, 'needs one of'],
    ['typo in correlation key', 'title: x\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  groupby: [h]\n  timespan: 5m\n', 'correlation', 3, 3, 'groupby'],
    ['string condition on count', 'title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition: a and b\n', 'correlation.condition', 6, 14, 'only allowed for temporal'],
    ['condition names unknown rule', 'title: x\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 5m\n  condition: a and c\n', 'correlation.condition', 6, 14, '"c"'],
    ['rule missing from condition', 'title: x\ncorrelation:\n  type: temporal\n  rules: [a, b, c]\n  timespan: 5m\n  condition: a and b\n', 'correlation.condition', 6, 14, 'rule "c"'],
    ['unsupported negation shape', 'title: x\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 5m\n  condition: not (a or b)\n', 'correlation.condition', 6, 14, 'absence'],
    ['or in temporal_ordered', 'title: x\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b]\n  timespan: 5m\n  condition: a or b\n', 'correlation.condition', 6, 14, 'and of its rules'],
    ['unbalanced parenthesis', 'title: x\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 5m\n  condition: (a and b\n', 'correlation.condition', 6, 14, 'parenthesis'],
    ['alias names unknown rule', 'title: x\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 5m\n  group-by: [ip]\n  aliases:\n    ip:\n      c: src.ip\n', 'correlation.aliases.ip.c', 9, 10, 'not in rules'],
    ['generate not boolean', 'title: x\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 5m\n  generate: yes please\n', 'correlation.generate', 6, 13, 'boolean'],
    ['percentile on avg', 'title: x\ncorrelation:\n  type: value_avg\n  rules: [a]\n  timespan: 5m\n  condition:\n    field: b\n    percentile: 5\n    gt: 1\n', 'correlation.condition.percentile', 8, 17, 'percentile'],
    ['duplicate rule reference', 'title: x\ncorrelation:\n  type: temporal\n  rules:\n    - a\n    - a\n  timespan: 5m\n', 'correlation.rules.1', 6, 7, 'twice'],
    ['duplicate group-by', 'title: x\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 5m\n  group-by: [h, h]\n', 'correlation.group-by', 6, 13, 'twice'],
  ])('rejects %s with VGL_RULE_CORRELATION at the field', (_case, yaml, field, line, col, reason) => {
    let error: unknown;
    try {
      correlationFromYaml(yaml, 'bad.yml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VigilError);
    const e = error as VigilError;
    expect(e.code).toBe('VGL_RULE_CORRELATION');
    expect(e.location).toEqual({ file: 'bad.yml', line, col, field });
    expect(e.reason).toContain(reason);
  });
});
