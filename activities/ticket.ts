/**
 * Opens a ticket through the ticketing system's intake webhook (signed like every Vigil webhook, with an
 * Idempotency-Key so a retried activity does not open two). The intake may answer `{ id, url }`
 * (Jira/ServiceNow automations usually do); the summary names it.
 */
import type { TicketRequest } from '../src/contracts/playbook/activities';
import { postSignedJson } from './webhook';

export async function openTicket(url: string, secret: string | undefined, ticket: TicketRequest): Promise<string> {
  const reply = await postSignedJson(url, secret, ticket, { 'idempotency-key': `vigil-${ticket.workflowId}` });
  let opened: { id?: string; url?: string } = {};
  try {
    opened = JSON.parse(reply.text) as typeof opened;
  } catch {
    // An intake that answers with plain text still opened the ticket; there is just no id to show.
  }
  return `opened ticket${opened.id ? ` ${opened.id}` : ''}${opened.url ? ` (${opened.url})` : ''}`;
}
