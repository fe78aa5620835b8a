/**
 * What an incident concludes from its alerts: the ATT&CK tactics seen, in kill-chain order, and a severity that rises
 * with evidence. Pure and deterministic: the incident workflow runs it in its sandbox.
 *
 * Severity rule (README "Incidents"): start at the highest level among the incident's alerts; one step up when its
 * alerts span at least ESCALATE_TACTICS distinct ATT&CK tactics (an attack moving along the kill chain, not one noisy
 * behaviour); one more step up when at least ESCALATE_RULES distinct rules alerted (independent evidence). Capped at
 * critical. It never falls while the incident lives: the incident keeps the highest severity it reached.
 */
import type { Alert } from '../model/alert';
import type { RuleLevel } from '../model/detection';
import { ruleLevels } from './binding-match';

/** The ATT&CK Enterprise tactics in kill-chain order, as Sigma tags spell them (`attack.<tactic>`). */
export const killChain = [
  'reconnaissance',
  'resource-development',
  'initial-access',
  'execution',
  'persistence',
  'privilege-escalation',
  'defense-evasion',
  'credential-access',
  'discovery',
  'lateral-movement',
  'collection',
  'command-and-control',
  'exfiltration',
  'impact',
] as const;
export type Tactic = (typeof killChain)[number];

export const ESCALATE_TACTICS = 3;
export const ESCALATE_RULES = 5;

const tacticSet: ReadonlySet<string> = new Set(killChain);

/** The tactics named by rule tags (`attack.privilege_escalation` and `attack.privilege-escalation` alike). */
export function tacticsOfTags(tags: readonly string[]): Tactic[] {
  const out: Tactic[] = [];
  for (const tag of tags) {
    const lower = tag.toLowerCase();
    if (!lower.startsWith('attack.')) continue;
    const name = lower.slice('attack.'.length).replace(/_/g, '-');
    if (tacticSet.has(name) && !out.includes(name as Tactic)) out.push(name as Tactic);
  }
  return out;
}

/** `tactics` de-duplicated and sorted in kill-chain order. */
export function inKillChainOrder(tactics: Iterable<string>): Tactic[] {
  const seen = new Set(tactics);
  return killChain.filter((t) => seen.has(t));
}

function stepUp(level: RuleLevel, steps: number): RuleLevel {
  return ruleLevels[Math.min(ruleLevels.length - 1, ruleLevels.indexOf(level) + steps)]!;
}

export function higherLevel(a: RuleLevel, b: RuleLevel): RuleLevel {
  return ruleLevels.indexOf(a) >= ruleLevels.indexOf(b) ? a : b;
}

/** The evidence the severity rule reads, kept by the incident as alerts arrive. */
export interface SeverityEvidence {
  highestAlertLevel: RuleLevel;
  tactics: number;
  rules: number;
}

/** The severity the evidence supports (the incident keeps the higher of this and what it had). */
export function severityOf(evidence: SeverityEvidence): RuleLevel {
  const steps = (evidence.tactics >= ESCALATE_TACTICS ? 1 : 0) + (evidence.rules >= ESCALATE_RULES ? 1 : 0);
  return stepUp(evidence.highestAlertLevel, steps);
}

/** ATT&CK technique ids named by rule tags (`attack.t1059.004` → `T1059.004`), in tag order. */
export function techniquesOfTags(tags: readonly string[]): string[] {
  return tags.filter((t) => /^attack\.t\d{4}(\.\d{3})?$/i.test(t)).map((t) => t.slice('attack.'.length).toUpperCase());
}

/** The ATT&CK tactics of one alert's rule. */
export function alertTactics(alert: Pick<Alert, 'rule'>): Tactic[] {
  return tacticsOfTags(alert.rule.tags);
}
