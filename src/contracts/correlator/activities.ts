/**
 * The activities the correlator workflow calls, as it proxies them (local activities: their answers are recorded
 * in history). The worker registers implementations (activities/) under these names; the names are activity type
 * names in histories and never change.
 */
import type { Alert } from '../../model/alert';
import type { EntityRef } from '../../model/entity';
import type { PlaybookBinding } from '../../model/playbook';
import type { RuleStatsBatch } from '../rule-stats/messages';
import type { CorrelationRulesView } from './rules-view';

export interface CorrelatorActivities {
  /**
   * The playbooks an alert starts (rules/responses bindings). The correlator no longer calls it (the bindings travel
   * with the rules view); registered for histories recorded before, which replay it (CHEAP_TASKS_PATCH).
   */
  resolvePlaybooks: (alert: Alert) => Promise<PlaybookBinding[]>;
  correlationRulesFor: (entity: EntityRef) => Promise<CorrelationRulesView>;
  /** Alerts raised and verdicts set, to the tenant's rule statistics workflow (signal-with-start). */
  recordRuleStats: (tenant: string, batch: RuleStatsBatch) => Promise<void>;
}
