/**
 * The correlator's view of the rule set: the correlation rules its entity evaluates (by group-by ownership, see
 * src/ingest/correlation-routing.ts), which detection rules stay silent because correlations consume them
 * (`generate: false`), and the playbook bindings of rules/responses. Returned by the correlationRulesFor local
 * activity, so it is recorded in history and replays deterministically while the worker's rules hot-reload
 * underneath. The correlator fetches it once per run and again when a detection names another rule set version.
 */
import type { ResponseBinding } from '../../response/binding-match';
import type { CorrelationRule } from '../../sigma/correlation-rule';

export interface CorrelationRulesView {
  version: string;
  rules: CorrelationRule[];
  silenced: string[];
  /**
   * rules/responses bindings as the worker loaded them at start: the correlator picks an alert's playbooks from them
   * with selectBindings (src/response/binding-match.ts), in the workflow, so no activity runs per alert. A changed
   * rules/responses (worker restart) reaches a running correlator with its next view: a rule set change or
   * continue-as-new. Absent in views recorded before bindings travelled with the view.
   */
  bindings?: ResponseBinding[];
}
