/**
 * The correlator's rules view (src/contracts/correlator/rules-view.ts) from the worker's current rule routing (a
 * src/ingest CorrelationRouting, reloaded underneath) and the playbook bindings of rules/responses it loaded at
 * start. A local activity, so the answer is recorded in history and replays deterministically.
 */
import type { CorrelatorActivities } from '../src/contracts/correlator/activities';
import type { CorrelationRulesView } from '../src/contracts/correlator/rules-view';
import type { EntityRef } from '../src/model/entity';
import type { ResponseBinding } from '../src/response/binding-match';
import type { CorrelationRule } from '../src/sigma/correlation-rule';

/** What the activity reads of a CorrelationRouting (src/ingest), which sits above activities. */
export interface RuleRouting {
  version: string;
  silenced: string[];
  rulesFor(entity: EntityRef): CorrelationRule[];
}

export function createCorrelationActivities(routing: () => RuleRouting, bindings: readonly ResponseBinding[]): Pick<CorrelatorActivities, 'correlationRulesFor'> {
  return {
    async correlationRulesFor(entity: EntityRef): Promise<CorrelationRulesView> {
      const r = routing();
      return { version: r.version, rules: r.rulesFor(entity), silenced: r.silenced, bindings: [...bindings] };
    },
  };
}
