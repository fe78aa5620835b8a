/**
 * Test-only stand-in for the entity correlator, for playbook tests that do not need correlation: it
 * answers entityStateQuery with a fixed view, keeps every PlaybookReport it is signalled and every
 * verdict it is sent, and returns the reports once `reportsToWaitFor` arrived.
 * (The continue-as-new test uses the real correlator.)
 */
import { condition, defineQuery, setHandler } from '@temporalio/workflow';
import type { PlaybookReport } from '../../../src/model/playbook';
import { entityStateQuery, playbookReportSignal, verdictUpdate, type EntityStateView, type VerdictInput } from '../../../src/contracts/correlator/messages';

export const standInVerdictsQuery = defineQuery<VerdictInput[]>('standInVerdicts');

export async function correlatorStandIn(view: EntityStateView, reportsToWaitFor: number): Promise<PlaybookReport[]> {
  const reports: PlaybookReport[] = [];
  const verdicts: VerdictInput[] = [];
  setHandler(entityStateQuery, () => ({ ...view, playbooks: [...view.playbooks, ...reports] }));
  setHandler(standInVerdictsQuery, () => verdicts);
  setHandler(playbookReportSignal, (report) => {
    reports.push(report);
  });
  setHandler(verdictUpdate, (verdict) => {
    verdicts.push(verdict);
    const alert = view.openAlerts.find((a) => a.id === verdict.alertId)!;
    return { ...alert, status: verdict.verdict };
  });
  await condition(() => reports.length >= reportsToWaitFor);
  return reports;
}
