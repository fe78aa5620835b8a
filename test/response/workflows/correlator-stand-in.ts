/**
 * Test-only stand-in for the entity correlator, for playbook tests that do not need correlation: it
 * answers entityStateQuery with a fixed view and keeps every PlaybookReport it is signalled.
 * (The continue-as-new test uses the real correlator.)
 */
import { condition, setHandler } from '@temporalio/workflow';
import type { PlaybookReport } from '../../../src/model/playbook';
import { entityStateQuery, playbookReportSignal, type EntityStateView } from '../../../workflows/correlator/messages';

export async function correlatorStandIn(view: EntityStateView, reportsToWaitFor: number): Promise<PlaybookReport[]> {
  const reports: PlaybookReport[] = [];
  setHandler(entityStateQuery, () => ({ ...view, playbooks: reports.length > 0 ? reports : view.playbooks }));
  setHandler(playbookReportSignal, (report) => {
    reports.push(report);
  });
  await condition(() => reports.length >= reportsToWaitFor);
  return reports;
}
