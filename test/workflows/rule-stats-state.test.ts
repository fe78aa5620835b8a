/**
 * The rule statistics state on its own (deterministic, no server): redelivered records count once, a changed
 * verdict moves its count, a verdict on an alert past the tracking bound is applied from the status the correlator
 * sent, and the state survives its continue-as-new payload unchanged.
 */
import type { RuleStatsRecord } from '../../src/contracts/rule-stats/messages';
import { MAX_TRACKED_ALERTS, RuleStatsState } from '../../workflows/rule-stats/rule-stats-state';

const alert = (alertId: string, shadow = false): RuleStatsRecord => ({ kind: 'alert', alertId, ruleId: 'r1', title: 'Rule one', shadow, correlatorWorkflowId: 'entity:t:host:h', at: 1 });
const verdict = (alertId: string, v: 'true_positive' | 'false_positive', previous: 'open' | 'true_positive' | 'false_positive' = 'open'): RuleStatsRecord => ({
  kind: 'verdict',
  alertId,
  ruleId: 'r1',
  title: 'Rule one',
  verdict: v,
  previous,
  correlatorWorkflowId: 'entity:t:host:h',
  at: 2,
});
const row = (s: RuleStatsState) => s.view().rules[0]!;

test('redelivered alerts and verdicts count once; a changed verdict moves its count', () => {
  const s = new RuleStatsState('t');
  for (const r of [alert('a1'), alert('a1'), alert('a2', true), verdict('a1', 'false_positive'), verdict('a1', 'false_positive')]) s.apply(r);
  expect(row(s)).toMatchObject({ alerts: 1, shadowAlerts: 1, truePositives: 0, falsePositives: 1, shadow: true });
  s.apply(verdict('a1', 'true_positive', 'false_positive'));
  expect(row(s)).toMatchObject({ truePositives: 1, falsePositives: 0 });
  expect(s.locate('a2')).toEqual({ alertId: 'a2', ruleId: 'r1', correlatorWorkflowId: 'entity:t:host:h' });
  const next = new RuleStatsState('t', JSON.parse(JSON.stringify(s.toCarried())));
  next.apply(verdict('a1', 'true_positive', 'false_positive'));
  expect(next.view()).toEqual(s.view());
});

test('past the tracking bound, a changed verdict is applied from the status the correlator knew', () => {
  const s = new RuleStatsState('t');
  s.apply(alert('a0'));
  s.apply(verdict('a0', 'true_positive'));
  for (let i = 1; i <= MAX_TRACKED_ALERTS; i++) s.apply(alert(`a${i}`));
  expect(s.locate('a0')).toBeUndefined();
  s.apply(verdict('a0', 'false_positive', 'true_positive'));
  expect(row(s)).toMatchObject({ alerts: MAX_TRACKED_ALERTS + 1, truePositives: 0, falsePositives: 1 });
});
