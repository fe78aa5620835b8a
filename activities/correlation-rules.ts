/**
 * The correlator's view of the rule set: the correlation rules its entity evaluates (by group-by
 * ownership, see src/ingest/correlation-routing.ts) and which detection rules stay silent because
 * correlations consume them (`generate: false`). A local activity, so the answer is recorded in history
 * and replays deterministically while the worker's rules hot-reload underneath.
 */
import type { CorrelationRouting } from '../src/ingest/correlation-routing';
import type { EntityRef } from '../src/model/entity';
import type { CorrelationRule } from '../src/sigma/correlation-rule';

export interface CorrelationRulesView {
  version: string;
  rules: CorrelationRule[];
  silenced: string[];
}

export function createCorrelationActivities(routing: () => CorrelationRouting) {
  return {
    async correlationRulesFor(entity: EntityRef): Promise<CorrelationRulesView> {
      const r = routing();
      return { version: r.version, rules: r.rulesFor(entity), silenced: r.silenced };
    },
  };
}
