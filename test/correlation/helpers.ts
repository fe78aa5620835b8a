/** Three-line helpers for correlation tests: parse a correlation from YAML, build detections, run the core. */
import { LineCounter, parseDocument } from 'yaml';
import type { Location } from '../../src/error-codes';
import type { Detection } from '../../src/model/detection';
import { parseCorrelationRule, type CorrelationRule } from '../../src/sigma/correlation-rule';
import { correlate, initialCorrelationState, type CorrelateOptions, type CorrelateResult } from '../../src/correlation';

/** Parses one YAML correlation document; locations come from the YAML node ranges (nearest existing node). */
export function correlationFromYaml(text: string, file = 'test.yml'): CorrelationRule {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const locate = (path: (string | number)[]): Location => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) {
        const { line, col } = lineCounter.linePos(node.range[0]);
        return { file, line, col };
      }
    }
    return { file };
  };
  return parseCorrelationRule(doc.toJS() as Record<string, unknown>, locate);
}

/** A detection of `rules` (names, used as ids too) at `time` with `fields`. */
export function det(eventId: string, time: number, rules: string[], fields: Detection['fields'] = {}): Detection {
  return {
    eventId,
    tenant: 'acme',
    source: 'cloudtrail',
    time,
    rules: rules.map((name) => ({ id: `id-${name}`, name, title: name, level: 'low', tags: [] })),
    entities: [{ type: 'user', id: 'alice' }],
    fields,
    summary: rules.join(' '),
    rulesetVersion: 'test',
  };
}

export function runAll(rules: CorrelationRule[], detections: Detection[], options: CorrelateOptions = { allowedLatenessMs: 0 }): CorrelateResult {
  return correlate(initialCorrelationState(), detections, rules, options);
}

export const sec = 1_000;
export const min = 60_000;
