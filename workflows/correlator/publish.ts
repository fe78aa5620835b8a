/**
 * The correlator's state where investigators and the UI see it without a query: search attributes (risk, open
 * alerts, events counted, rule names, ATT&CK techniques) and memo (entity, risk, open alerts, rule set version, last
 * analyst actions).
 *
 * Each upsert is a command and a history event (UpsertWorkflowSearchAttributes, WorkflowPropertiesModified) and a
 * visibility write on the server, so `publishChanges` writes only the attributes and memo fields whose value differs
 * from what the run already carries. What was written last is read back from workflowInfo(): the SDK updates it on
 * each upsert, and a run started by continue-as-new carries its predecessor's, so no extra state is kept and a replay
 * decides the same. The correlator calls it once at the end of each pass of its loop, and a pass ends in its own
 * workflow task (a pass that would be followed at once by another sleeps first), so at most once per task.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { EntityStateView } from '../../src/contracts/correlator/messages';
import { AttackTechniques, EventCount, OpenAlerts, RiskScore, RuleNames } from '../../src/temporal/search-attributes';
import type { EntityState } from './entity-state';

function searchAttributesOf(state: EntityState, view: EntityStateView): SearchAttributeUpdatePair[] {
  return [
    { key: RiskScore, value: view.riskScore },
    { key: OpenAlerts, value: view.openAlerts.length },
    { key: EventCount, value: view.eventCount },
    { key: RuleNames, value: state.ruleNames() },
    { key: AttackTechniques, value: state.attackTechniques() },
  ];
}

function memoOf(state: EntityState, view: EntityStateView): Record<string, unknown> {
  return {
    entity: `${view.entity.type}:${view.entity.id}`,
    riskScore: view.riskScore,
    openAlerts: view.openAlerts.map((a) => `${a.rule.level} ${a.rule.title}`).slice(-10),
    rulesetVersion: view.rulesetVersion,
    // Who changed this entity by hand, readable in the UI without a query.
    analystActions: state.analystActions().slice(-5).map((a) => `${new Date(a.at).toISOString()} ${a.kind} by ${a.by}: ${a.summary}`.slice(0, 200)),
  };
}

/** An absent list attribute and an empty one say the same (an empty list is never written over an absent one). */
function same(current: unknown, next: unknown): boolean {
  if (Array.isArray(next) && next.length === 0 && current === undefined) return true;
  return JSON.stringify(current) === JSON.stringify(next);
}

/** Writes every attribute and memo field: what correlators did before CHEAP_TASKS_PATCH, kept for their histories. */
export function publishAll(state: EntityState): void {
  const view = state.view(Date.now());
  upsertSearchAttributes(searchAttributesOf(state, view));
  upsertMemo(memoOf(state, view));
}

/** Writes the attributes and memo fields that changed since they were last written (none when nothing did). */
export function publishChanges(state: EntityState): void {
  const view = state.view(Date.now());
  upsertChanged(searchAttributesOf(state, view), memoOf(state, view));
}

/**
 * Upserts those of `attributes` and `memo` whose value differs from what the run carries (workflowInfo(): what was
 * written last, also across continue-as-new). Incidents publish through it too.
 */
export function upsertChanged(attributes: SearchAttributeUpdatePair[], memo: Record<string, unknown>): void {
  const info = workflowInfo();
  const changed = attributes.filter((pair) => !same(info.typedSearchAttributes.get(pair.key), pair.value));
  if (changed.length > 0) upsertSearchAttributes(changed);
  const changedMemo = Object.entries(memo).filter(([key, value]) => !same(info.memo?.[key], value));
  if (changedMemo.length > 0) upsertMemo(Object.fromEntries(changedMemo));
}
