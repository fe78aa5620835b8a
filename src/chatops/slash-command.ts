/**
 * The `/vigil` slash command's text (reference: api.slack.com/interactivity/slash-commands):
 *   /vigil approve <workflow-id> [reason…]   /vigil deny <workflow-id> [reason…]
 *   /vigil keep <workflow-id> [reason…]      /vigil release <workflow-id> [reason…]
 *   /vigil status <workflow-id>              /vigil list
 */
export type SlashCommand =
  | { kind: 'decide'; decision: 'approve' | 'deny'; workflowId: string; reason?: string }
  | { kind: 'containment'; command: 'keep' | 'release'; workflowId: string; reason?: string }
  | { kind: 'status'; workflowId: string }
  | { kind: 'list' }
  | { kind: 'help'; problem?: string };

export const slashCommandUsage = 'usage: /vigil approve|deny|keep|release <workflow-id> [reason] · /vigil status <workflow-id> · /vigil list';

export function parseSlashCommand(text: string): SlashCommand {
  const [verb = '', workflowId, ...rest] = text.trim().split(/\s+/);
  const reason = rest.length > 0 ? rest.join(' ') : undefined;
  const withReason = reason === undefined ? {} : { reason };
  switch (verb.toLowerCase()) {
    case 'approve':
    case 'deny':
      return workflowId ? { kind: 'decide', decision: verb.toLowerCase() as 'approve' | 'deny', workflowId, ...withReason } : { kind: 'help', problem: `${verb} needs a workflow id` };
    case 'keep':
    case 'release':
      return workflowId ? { kind: 'containment', command: verb.toLowerCase() as 'keep' | 'release', workflowId, ...withReason } : { kind: 'help', problem: `${verb} needs a workflow id` };
    case 'status':
      return workflowId ? { kind: 'status', workflowId } : { kind: 'help', problem: 'status needs a workflow id' };
    case 'list':
      return { kind: 'list' };
    default:
      return { kind: 'help', ...(verb ? { problem: `unknown command "${verb}"` } : {}) };
  }
}
