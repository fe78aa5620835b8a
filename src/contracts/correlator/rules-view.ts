/**
 * The correlator's view of the rule set: the correlation rules its entity evaluates (by group-by ownership, see
 * src/ingest/correlation-routing.ts) and which detection rules stay silent because correlations consume them
 * (`generate: false`). Returned by the correlationRulesFor local activity, so it is recorded in history and replays
 * deterministically while the worker's rules hot-reload underneath.
 */
import type { CorrelationRule } from '../../sigma/correlation-rule';

export interface CorrelationRulesView {
  version: string;
  rules: CorrelationRule[];
  silenced: string[];
}
