/**
 * Slack endpoints: the `/vigil` slash command and interactivity (Block Kit buttons). Both verify the
 * signing secret against the raw body before anything else; a missing, forged or stale signature gets
 * 401 and reaches no workflow. Chat users map to approver identities through rules/responses and act
 * within that identity's tenants; an unmapped user is told so (VGL_CHATOPS_UNKNOWN_USER) and nothing is
 * sent. A click's response_url is posted to only on VIGIL_SLACK_RESPONSE_ORIGINS: the signature proves
 * the request came from Slack's signing key, not that the URL inside it is Slack's.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { slackActionIds } from '../contracts/slack-action-ids';
import { VigilError } from '../error-codes';
import { identityOfChatUser, type ApproverIdentity, type ResponseConfig } from '../response/response-config';
import { verdictUpdate } from '../contracts/correlator/messages';
import { answerUserQuestion, commandContainment, decidePlaybook, listPlaybookRuns, playbookStatus } from './playbook-runs';
import { verifySlackSignature } from './slack-signature';
import { parseSlashCommand, slashCommandUsage } from './slash-command';

export interface SlackRoutesDeps {
  logger: Logger;
  client: Client;
  responses: ResponseConfig;
  signingSecret: string;
  /** Origins (scheme://host[:port]) a response_url may have. */
  responseOrigins: readonly string[];
}

const SlashCommandSchema = z.object({ command: z.string(), text: z.string().default(''), user_id: z.string().min(1), user_name: z.string().optional() });
const BlockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1), username: z.string().optional() }),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
  response_url: z.string().url().optional(),
});

const ephemeral = (text: string) => ({ response_type: 'ephemeral', text });

function describeError(err: unknown): string {
  return err instanceof VigilError ? err.message : `failed: ${(err as Error).message}`;
}

export function registerSlackRoutes(app: FastifyInstance, deps: SlackRoutesDeps): void {
  const { logger, client, responses } = deps;

  /** Returns the parsed form body, or replies 401 and returns undefined. */
  function verified(request: FastifyRequest, reply: FastifyReply): URLSearchParams | undefined {
    const rawBody = typeof request.body === 'string' ? request.body : '';
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const check = verifySlackSignature(deps.signingSecret, { timestamp: header('x-slack-request-timestamp'), signature: header('x-slack-signature') }, rawBody, Math.floor(Date.now() / 1000));
    if (!check.ok) {
      logger.warn({ url: request.url, reason: check.reason }, 'VGL_CHATOPS_SIGNATURE: Slack request refused');
      void reply.code(401).send({ code: 'VGL_CHATOPS_SIGNATURE', message: check.reason });
      return undefined;
    }
    return new URLSearchParams(rawBody);
  }

  function identityOf(chatUserId: string): ApproverIdentity {
    const identity = identityOfChatUser(responses, chatUserId);
    if (!identity) throw new VigilError('VGL_CHATOPS_UNKNOWN_USER', `Slack user ${chatUserId} is not mapped to an approver identity`, { field: 'user_id' });
    return identity;
  }

  /** The payload's JSON, or undefined when it is not JSON (the caller answers 400). */
  function parsePayload(text: string | null): unknown {
    try {
      return JSON.parse(text ?? 'null');
    } catch {
      return undefined;
    }
  }

  const allowedResponseUrl = (url: string): boolean => deps.responseOrigins.includes(new URL(url).origin);

  app.post('/slack/commands', async (request, reply) => {
    const form = verified(request, reply);
    if (!form) return reply;
    const parsed = SlashCommandSchema.safeParse(Object.fromEntries(form));
    if (!parsed.success) return reply.code(400).send(ephemeral('malformed slash command'));
    const command = parseSlashCommand(parsed.data.text);
    try {
      switch (command.kind) {
        case 'decide': {
          const { name: by, tenants } = identityOf(parsed.data.user_id);
          const status = await decidePlaybook(client, command.workflowId, { decision: command.decision, by, via: 'chat', ...(command.reason ? { reason: command.reason } : {}) }, tenants);
          return ephemeral(`${command.decision === 'approve' ? 'Approved' : 'Denied'} ${command.workflowId} as ${by}: now ${status.state}`);
        }
        case 'containment': {
          const { name: by, tenants } = identityOf(parsed.data.user_id);
          await commandContainment(client, command.workflowId, { command: command.command, by, via: 'chat', ...(command.reason ? { reason: command.reason } : {}) }, tenants);
          return ephemeral(`Sent "${command.command}" for ${command.workflowId} as ${by}`);
        }
        case 'status': {
          const status = await playbookStatus(client, command.workflowId, identityOf(parsed.data.user_id).tenants);
          const alerts = status.alerts.map((a) => `${a.id} (${a.rule.title} on ${a.entity.type} ${a.entity.id})`).join(', ');
          return ephemeral(`${status.workflowId}: ${status.state}; alerts: ${alerts}; decisions: ${status.decisions.map((d) => `${d.decision} by ${d.by}`).join(', ') || 'none'}`);
        }
        case 'list': {
          const rows = await listPlaybookRuns(client, { awaiting: true, limit: 20, scope: identityOf(parsed.data.user_id).tenants });
          return ephemeral(rows.length === 0 ? 'No playbook is waiting for approval.' : rows.map((r) => `• ${r.workflowId} (${r.state}, rule ${r.ruleId})`).join('\n'));
        }
        case 'help':
          return ephemeral(command.problem ? `${command.problem}\n${slashCommandUsage}` : slashCommandUsage);
      }
    } catch (err) {
      return ephemeral(describeError(err));
    }
  });

  app.post('/slack/interactivity', async (request, reply) => {
    const form = verified(request, reply);
    if (!form) return reply;
    const parsed = BlockActionsSchema.safeParse(parsePayload(form.get('payload')));
    if (!parsed.success) return reply.code(400).send({ code: 'VGL_CHATOPS_PAYLOAD', message: 'payload is not block_actions JSON' });
    const { user, actions, response_url: responseUrl } = parsed.data;
    // Refused before anything is decided: a click that would make chatops post elsewhere is not Slack's.
    if (responseUrl !== undefined && !allowedResponseUrl(responseUrl)) {
      logger.warn({ origin: new URL(responseUrl).origin, user: user.id }, 'VGL_CHATOPS_RESPONSE_URL: Slack click refused, response_url is not on VIGIL_SLACK_RESPONSE_ORIGINS');
      return reply.code(400).send({ code: 'VGL_CHATOPS_RESPONSE_URL', message: 'response_url is not on an allowed Slack origin' });
    }
    const action = actions[0]!;
    // Slack wants the ack within 3 s and retries otherwise (which would re-send the decision), so ack
    // first; the outcome goes to response_url as an ephemeral message (Slack ignores the ack's body here).
    void reply.code(200).send();
    void handleButton(action.action_id, action.value ?? '', user.id)
      .catch((err: unknown) => describeError(err))
      .then(async (text) => {
        if (!responseUrl) return;
        // No redirects: an allowed origin must not bounce the post to an address that is not.
        await fetch(responseUrl, { method: 'POST', redirect: 'error', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ephemeral(text), replace_original: false }) });
      })
      .catch((err: Error) => logger.warn({ err: err.message }, 'Slack response_url post failed'));
    return reply;
  });

  async function handleButton(actionId: string, workflowId: string, chatUserId: string): Promise<string> {
    switch (actionId) {
      case slackActionIds.approve:
      case slackActionIds.deny: {
        const { name: by, tenants } = identityOf(chatUserId);
        const decision = actionId === slackActionIds.approve ? 'approve' : 'deny';
        const status = await decidePlaybook(client, workflowId, { decision, by, via: 'chat' }, tenants);
        return `${decision === 'approve' ? 'Approved' : 'Denied'} as ${by}: now ${status.state}`;
      }
      case slackActionIds.falsePositive: {
        const { name: by, tenants } = identityOf(chatUserId);
        const status = await decidePlaybook(client, workflowId, { decision: 'deny', by, via: 'chat', reason: 'false positive' }, tenants);
        // The verdict feeds each rule's precision statistics in the correlator that raised the alert; the run decided
        // on every alert it covers, so the verdict is on all of them.
        const marked: string[] = [];
        const missed: string[] = [];
        for (const alert of status.alerts) {
          try {
            await client.workflow.getHandle(alert.correlatorWorkflowId).executeUpdate(verdictUpdate, { args: [{ alertId: alert.id, verdict: 'false_positive', by, note: `from playbook ${workflowId}` }] });
            marked.push(alert.id);
          } catch (err) {
            // The deny counted; one correlator that ended (quiet period) must not hide the others' verdicts.
            logger.warn({ alertId: alert.id, correlator: alert.correlatorWorkflowId, err: (err as Error).message }, 'false-positive verdict not recorded');
            missed.push(alert.id);
          }
        }
        return `Marked alert${marked.length === 1 ? '' : 's'} ${marked.join(', ') || '(none)'} as false positive and denied the playbook as ${by}${missed.length > 0 ? `; could not mark ${missed.join(', ')}` : ''}`;
      }
      case slackActionIds.userConfirmed:
      case slackActionIds.userNotMe: {
        // The affected user need not be an approver: their mapped identity, or their Slack id, answers.
        const by = identityOfChatUser(responses, chatUserId)?.name ?? chatUserId;
        await answerUserQuestion(client, workflowId, { answer: actionId === slackActionIds.userConfirmed ? 'confirmed' : 'not_me', by, via: 'chat' });
        return 'Thanks, your answer was recorded.';
      }
      default:
        return `unknown action ${actionId}`;
    }
  }
}
