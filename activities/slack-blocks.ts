/**
 * Renders a PlaybookNotice as Slack Block Kit (reference: api.slack.com/reference/block-kit/blocks):
 * a header, the alert's fields, every alert the run covers, the entity's live risk and latest timeline entries, and for approval
 * requests an actions block whose buttons carry the playbook workflow id. Chatops maps the buttons'
 * action_ids back to decisions (src/contracts/slack-action-ids.ts).
 */
import type { PlaybookNotice } from '../src/contracts/playbook/notice';
import { slackActionIds } from '../src/contracts/slack-action-ids';

export type SlackBlock = Record<string, unknown>;

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const plain = (text: string) => ({ type: 'plain_text', text, emoji: false });
/** Slack caps text objects at 3000 chars and header text at 150. */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): SlackBlock {
  return { type: 'button', text: plain(text), action_id: actionId, value, ...(style ? { style } : {}) };
}

export function noticeBlocks(notice: PlaybookNotice): SlackBlock[] {
  const { alert } = notice;
  const blocks: SlackBlock[] = [
    { type: 'header', text: plain(clip(`${alert.rule.level.toUpperCase()}: ${alert.rule.title}`, 150)) },
    { type: 'section', text: mrkdwn(clip(notice.text, 3000)) },
    {
      type: 'section',
      fields: [
        mrkdwn(`*Entity*\n${alert.entity.type} \`${alert.entity.id}\``),
        mrkdwn(`*Tenant*\n${alert.tenant}`),
        mrkdwn(`*Playbook*\n${notice.playbook}`),
        mrkdwn(`*Events*\n${alert.eventCount}`),
        ...(notice.entity ? [mrkdwn(`*Risk*\n${notice.entity.riskScore}`), mrkdwn(`*Alerts on entity*\n${notice.entity.alertCount}`)] : []),
      ],
    },
  ];
  // Alerts attached to this run (same playbook, same target) are decided with it: the approver sees them all.
  if (notice.alerts.length > 1) {
    const lines = notice.alerts.map((covered) => `• ${covered.rule.level} ${covered.rule.title} on ${covered.entity.type} \`${covered.entity.id}\` (\`${covered.id}\`)`);
    blocks.push({ type: 'section', text: mrkdwn(clip(`*${notice.alerts.length} alerts for this target*\n${lines.join('\n')}`, 3000)) });
  }
  if (notice.entity && notice.entity.timeline.length > 0) {
    const lines = notice.entity.timeline.map((entry) => `• ${new Date(entry.time).toISOString()} ${entry.summary}`);
    blocks.push({ type: 'section', text: mrkdwn(clip(`*Timeline*\n${lines.join('\n')}`, 3000)) });
  }
  if (notice.asked) {
    const mentions = notice.asked.mentions.map((id) => `<@${id}>`).join(' ');
    blocks.push({
      type: 'context',
      elements: [mrkdwn(`Asked: ${notice.asked.groups.join(' → ')} ${mentions} · ${notice.asked.approvalsNeeded} approval(s) needed · until ${new Date(notice.asked.until).toISOString()}`)],
    });
    blocks.push({
      type: 'actions',
      block_id: 'vigil_decision',
      elements: [
        button('Approve', slackActionIds.approve, notice.workflowId, 'primary'),
        button('Deny', slackActionIds.deny, notice.workflowId, 'danger'),
        button('False positive', slackActionIds.falsePositive, notice.workflowId),
      ],
    });
  }
  // The incident the alert belongs to (its Temporal UI page: every related alert, entity and the merged timeline).
  const incident = alert.incident ? ` · incident <${alert.incident.link}|${alert.incident.id}>` : '';
  blocks.push({ type: 'context', elements: [mrkdwn(`alert \`${alert.id}\` · workflow \`${notice.workflowId}\`${incident}`)] });
  return blocks;
}

/** The "did you just do this?" message sent to the affected user. */
export function confirmationBlocks(workflowId: string, question: string): SlackBlock[] {
  return [
    { type: 'section', text: mrkdwn(clip(question, 3000)) },
    {
      type: 'actions',
      block_id: 'vigil_user_confirmation',
      elements: [
        button('Yes, it was me', slackActionIds.userConfirmed, workflowId, 'primary'),
        button('No, it was not me', slackActionIds.userNotMe, workflowId, 'danger'),
      ],
    },
  ];
}
