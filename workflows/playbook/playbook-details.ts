/**
 * A playbook run's current details for the Temporal UI (the Markdown on the run's page): the playbook and its target,
 * the state and what the run waits for, who is asked to approve and who decided, the alerts it covers (linked to their
 * correlators and incidents) and the last actions. Pure and bounded; held in worker memory, never in history.
 */
import type { PlaybookStatus } from '../../src/contracts/playbook/messages';
import { mdLink, mdText, utcTime } from '../../src/model/markdown';
import type { ResolvedApproverGroup } from '../../src/response/playbook-spec';

/** Alerts and actions listed (the newest); the status query has them all. */
const MAX_ROWS = 8;

export interface PlaybookDetailsInput {
  status: PlaybookStatus;
  /** What the run acts on (runTarget), or the alert's entity when it names no target. */
  target: string;
  /** Every group the playbook may ask, in escalation order; `status.askedGroups` says how many were asked. */
  groups: readonly ResolvedApproverGroup[];
  /** The Temporal UI page of a workflow id, when the UI's address is known. */
  linkTo?: (workflowId: string) => string;
}

/** What the run is waiting for in its current state; undefined when it waits for nothing (working or finished). */
export function waitingFor(status: PlaybookStatus, target: string): string | undefined {
  const until = status.waitUntil !== undefined ? ` until ${utcTime(status.waitUntil)}` : '';
  switch (status.state) {
    case 'awaiting_user':
      return `the affected user's answer ("was this you?")${until}`;
    case 'awaiting_approval':
    case 'escalated':
      return `approval for ${status.playbook} on ${target} from ${status.askedGroups.join(', ')} (${status.approvalsNeeded} needed)${until}`;
    case 'contained':
      return status.waitUntil !== undefined ? `the containment TTL${until}, or an analyst's keep or release` : `an analyst to release the containment`;
    default:
      return undefined;
  }
}

/** The alerts before the approvers and actions: the UI shows current details in a frame of fixed height. */
export function renderPlaybookDetails(input: PlaybookDetailsInput): string {
  const { status } = input;
  const waiting = waitingFor(status, input.target);
  const lines = [
    `### ${mdText(`${status.playbook} on ${input.target}`)}`,
    `**State ${status.state.replace(/_/g, ' ')}**${waiting ? ` · waiting for ${mdText(waiting, 300)}` : ''}`,
  ];
  lines.push('', `#### Alerts (${status.alerts.length})`);
  for (const alert of status.alerts.slice(-MAX_ROWS)) {
    const where = `${alert.entity.type} ${alert.entity.id}`;
    const incident = alert.incident ? ` · incident ${mdLink(alert.incident.id, alert.incident.link)}` : '';
    lines.push(`- **${alert.rule.level}** ${mdText(alert.rule.title)} · \`${alert.id}\` on ${input.linkTo ? mdLink(where, input.linkTo(alert.correlatorWorkflowId)) : mdText(where)}${incident}`);
  }
  if (status.alerts.length > MAX_ROWS) lines.push(`- …and ${status.alerts.length - MAX_ROWS} more (status query)`);
  if (input.groups.length > 0) {
    lines.push('', '#### Approvers');
    input.groups.forEach((group, i) => {
      const asked = i < status.askedGroups.length ? 'asked' : 'on escalation';
      lines.push(`- ${mdText(group.name)} (${asked}): ${group.members.map((m) => mdText(m.name)).join(', ') || 'no members'}`);
    });
    for (const d of status.decisions) lines.push(`- **${d.decision}** by ${mdText(d.by)} via ${mdText(d.via)} at ${utcTime(d.at)}${d.reason ? `: ${mdText(d.reason)}` : ''}`);
    if (status.refused.length > 0) lines.push(`- ${status.refused.length} decision${status.refused.length === 1 ? '' : 's'} refused (status query lists them)`);
  }
  if (status.holds.length > 0) lines.push('', `**Holds** ${status.holds.map((h) => mdText(h)).join(', ')}`);
  if (status.actions.length > 0) {
    lines.push('', `#### Last actions`);
    for (const action of status.actions.slice(-MAX_ROWS)) lines.push(`- ${mdText(action, 200)}`);
  }
  return lines.join('\n');
}
