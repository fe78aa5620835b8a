/**
 * Test-only workflow: runs the correlation core inside Temporal's workflow sandbox, batch by batch as the
 * correlator does, and returns its hits. Proves the core bundles without Node builtins and is deterministic there.
 */
import { advanceTo, correlate, initialCorrelationState, type CorrelateOptions, type CorrelationHit } from '../../../src/correlation';
import type { Detection } from '../../../src/model/detection';
import type { CorrelationRule } from '../../../src/sigma/correlation-rule';

export async function correlateInSandbox(
  rules: CorrelationRule[],
  batches: Detection[][],
  options: CorrelateOptions,
  endWatermark: number,
): Promise<CorrelationHit[]> {
  let state = initialCorrelationState();
  const hits: CorrelationHit[] = [];
  for (const batch of batches) {
    const result = correlate(state, batch, rules, options);
    state = result.state;
    hits.push(...result.hits);
  }
  return [...hits, ...advanceTo(state, endWatermark, rules, options).hits];
}
