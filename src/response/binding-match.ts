/**
 * Which playbooks an alert starts: the bindings of rules/responses (loaded and validated by response-config.ts) and
 * the pure matcher over them. Pure and deterministic (no I/O; the other modules it names are imported as types only), so the correlator
 * workflow runs it in its sandbox on the bindings that travel with its rules view
 * (src/contracts/correlator/rules-view.ts), and the `resolvePlaybooks` activity (kept for histories that called it)
 * runs the same function on the worker's loaded config.
 */
import type { Alert } from '../model/alert';
import type { RuleLevel } from '../model/detection';
import type { SourceKind } from '../model/source';
import type { PlaybookBinding } from '../model/playbook';
import type { PlaybookSpec } from './playbook-spec';

/** Rule levels, lowest first: `minLevel` compares by this order. */
export const ruleLevels: RuleLevel[] = ['informational', 'low', 'medium', 'high', 'critical'];

/** What a binding selects (absent lists select nothing by themselves; see selectBindings). */
export interface BindingMatch {
  ruleIds: string[];
  ruleNames: string[];
  tags: string[];
  minLevel?: RuleLevel;
  /** Only alerts whose events come from these sources (a pod playbook must not run for CloudTrail). */
  sources: SourceKind[];
}

export interface ResponseBinding {
  playbook: string;
  /**
   * What starts the playbook: each matching alert (`alert`, the default; absent in views recorded before incidents),
   * or an incident, once, when it first matches (workflows/incident).
   */
  on?: 'alert' | 'incident';
  match: BindingMatch;
  params: PlaybookSpec;
}

/**
 * Tags compare case-insensitively and with `_` and `-` alike: Sigma 2 spells ATT&CK tactics
 * `attack.privilege-escalation`, older rules `attack.privilege_escalation`; a binding must catch both.
 */
function sameTag(a: string, b: string): boolean {
  const norm = (t: string): string => t.toLowerCase().replace(/_/g, '-');
  return norm(a) === norm(b);
}

function levelRank(level: RuleLevel): number {
  return ruleLevels.indexOf(level);
}

/**
 * The playbooks an alert starts. A binding matches when its rule id/name/tag selectors (if any) hit
 * at least one, the alert is at or above `minLevel` (if set) and one of its events comes from one of
 * `sources` (if set). Each playbook is returned once, in binding order.
 */
export function selectBindings(bindings: readonly ResponseBinding[], alert: Pick<Alert, 'rule' | 'events'>): PlaybookBinding[] {
  const subject: BindingSubject = { rules: [alert.rule], level: alert.rule.level, sources: alert.events.map((e) => e.source) };
  return select(bindings.filter((b) => (b.on ?? 'alert') === 'alert'), subject);
}

/** What a binding is matched against: an alert (its one rule) or an incident (every rule that alerted in it). */
export interface BindingSubject {
  rules: ReadonlyArray<Pick<Alert['rule'], 'id' | 'name' | 'tags'>>;
  /** The alert's rule level, or the incident's severity. */
  level: RuleLevel;
  sources: readonly SourceKind[];
}

/** The `on: incident` playbooks an incident matches: selectors hit any of its alerts' rules, `minLevel` its severity. */
export function selectIncidentBindings(bindings: readonly ResponseBinding[], incident: BindingSubject): PlaybookBinding[] {
  return select(bindings.filter((b) => b.on === 'incident'), incident);
}

function select(bindings: readonly ResponseBinding[], subject: BindingSubject): PlaybookBinding[] {
  const selected = new Map<string, PlaybookBinding>();
  for (const binding of bindings) {
    const { ruleIds, ruleNames, tags, minLevel, sources } = binding.match;
    if (sources.length > 0 && !subject.sources.some((source) => sources.includes(source))) continue;
    const hasSelectors = ruleIds.length + ruleNames.length + tags.length > 0;
    const selectorHit = subject.rules.some(
      (rule) => ruleIds.includes(rule.id) || (rule.name !== undefined && ruleNames.includes(rule.name)) || tags.some((tag) => rule.tags.some((t) => sameTag(t, tag))),
    );
    if (hasSelectors && !selectorHit) continue;
    if (minLevel && levelRank(subject.level) < levelRank(minLevel)) continue;
    if (!selected.has(binding.playbook)) selected.set(binding.playbook, { playbook: binding.playbook, params: binding.params });
  }
  return [...selected.values()];
}
