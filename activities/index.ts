/**
 * The worker's activities: `createActivities(deps)` closes over the clients, config, logger and the
 * global dry-run switch. Every action returns a one-line summary for the playbook report; containment
 * actions (one per record in src/response/actions, see containment.ts) also return the undo they
 * declare. The workflows proxy them through the interfaces in src/contracts (PlaybookActivities,
 * CorrelatorActivities) and never import this module.
 *
 * Dry-run, per action: every action takes a `dryRun` argument (a binding's `dryRun` for containment and
 * tickets, `dryRunNotices` for notices and user questions) and then only says what it would do.
 * `deps.dryRun` (VIGIL_DRY_RUN) forces it for everything that changes a system (containment, tickets);
 * messages to people still go out, since they are how a dry run is watched.
 */
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { CorrelatorActivities } from '../src/contracts/correlator/activities';
import type { IncidentActivities, IncidentRoutingActivities } from '../src/contracts/incident/activities';
import type { IncidentSettings } from '../src/contracts/incident/input';
import type { PlaybookActivities } from '../src/contracts/playbook/activities';
import { selectBindings } from '../src/response/binding-match';
import type { ResponseConfig } from '../src/response/response-config';
import type { AwsIamSettings } from './aws-iam';
import { createContainmentActivities } from './containment';
import { findContainmentHolder } from './containment-holders';
import { readEntitySnapshot } from './entity-state';
import { createIncidentActivities } from './incidents';
import { notConfigured } from './http-call';
import type { KubernetesSettings } from './kubernetes';
import { confirmationBlocks, noticeBlocks } from './slack-blocks';
import { postSlackIncomingWebhook, postSlackMessage, type SlackConfig } from './slack';
import { sendRuleStats } from './rule-stats';
import { openTicket } from './ticket';
import { postSignedJson } from './webhook';

export interface ActivityDeps {
  logger: Logger;
  /** Global dry-run for actions that change systems (containment, tickets); summaries say what would have happened. */
  dryRun: boolean;
  /** rules/responses loaded at worker start (loadResponseConfig). */
  responses: ResponseConfig;
  /** Reads correlator state for approval requests; without it notices carry the alert only. */
  client?: Client;
  /** Generic webhook for notices; signed when webhookSecret is set (tickets use the same secret). */
  webhookUrl?: string;
  webhookSecret?: string;
  ticketWebhookUrl?: string;
  slack?: SlackConfig;
  kubernetes?: KubernetesSettings;
  awsIam?: AwsIamSettings;
  /** Grouping settings for the incident routers this worker starts (VIGIL_INCIDENT_WINDOW). */
  incidents?: Partial<IncidentSettings>;
}

/** The worker's activities but the correlation rules view (createCorrelationActivities, correlation-rules.ts). */
export type VigilActivities = PlaybookActivities & Pick<CorrelatorActivities, 'resolvePlaybooks' | 'recordRuleStats'> & IncidentRoutingActivities & IncidentActivities;

export function createActivities(deps: ActivityDeps): VigilActivities {
  const { logger } = deps;
  const slack = (): SlackConfig => {
    if (!deps.slack) throw notConfigured('Slack (VIGIL_SLACK_BOT_TOKEN or VIGIL_SLACK_WEBHOOK_URL)');
    return deps.slack;
  };

  return {
    /** Local activity of correlators recorded before the bindings travelled with the rules view (replays only). */
    async resolvePlaybooks(alert) {
      return selectBindings(deps.responses.bindings, alert);
    },

    async recordRuleStats(tenant, batch) {
      await sendRuleStats(deps.client, logger, tenant, batch);
    },

    async readEntityState(correlatorWorkflowId, playbook) {
      return readEntitySnapshot(deps.client, logger, correlatorWorkflowId, playbook);
    },

    async findContainmentHolder(request) {
      return findContainmentHolder(deps.client, logger, request);
    },

    async notifyWebhook(notice, dryRun) {
      if (dryRun) return `[dry-run] webhook notice ${notice.kind}`;
      if (!deps.webhookUrl) throw notConfigured('generic webhook URL (VIGIL_WEBHOOK_URL)');
      const { status } = await postSignedJson(deps.webhookUrl, deps.webhookSecret, notice);
      logger.info({ workflowId: notice.workflowId, kind: notice.kind, status }, 'webhook notice sent');
      return `webhook notice ${notice.kind} (HTTP ${status})`;
    },

    async notifySlack(notice, dryRun) {
      if (dryRun) return `[dry-run] Slack notice ${notice.kind}`;
      const config = slack();
      if (!config.channel) throw notConfigured('Slack channel (VIGIL_SLACK_CHANNEL)');
      const posted = await postSlackMessage(config, config.channel, notice.text, noticeBlocks(notice));
      return `Slack notice ${notice.kind} to ${posted.channel} (ts ${posted.ts})`;
    },

    async notifySlackWebhook(notice, dryRun) {
      if (dryRun) return `[dry-run] Slack webhook notice ${notice.kind}`;
      const url = slack().incomingWebhookUrl;
      if (!url) throw notConfigured('Slack incoming webhook (VIGIL_SLACK_WEBHOOK_URL)');
      return `Slack webhook notice ${notice.kind} (HTTP ${await postSlackIncomingWebhook(url, notice.text, noticeBlocks(notice))})`;
    },

    /** "Did you just do this?" as a Slack DM with two buttons; the answer comes back as userResponseSignal. */
    async askUserToConfirm(request, dryRun) {
      const wanted = request.user.toLowerCase();
      const person = [...deps.responses.approvers.values()].find((p) => [p.name, ...p.aliases].some((n) => n.toLowerCase() === wanted));
      if (!person?.chat) throw ApplicationFailure.nonRetryable(`no chat user is mapped to ${request.user} in rules/responses`, 'VGL_ACTION_TARGET');
      if (dryRun) return { summary: `[dry-run] asked ${person.name} to confirm`, identity: person.name };
      const posted = await postSlackMessage(slack(), person.chat, request.question, confirmationBlocks(request.workflowId, request.question));
      return { summary: `asked ${person.name} to confirm (Slack ${posted.channel})`, identity: person.name };
    },

    async openTicket(ticket, dryRun) {
      if (dryRun || deps.dryRun) return `[dry-run] would open ticket "${ticket.title}"`;
      if (!deps.ticketWebhookUrl) throw notConfigured('ticket intake webhook (VIGIL_TICKET_WEBHOOK_URL)');
      return openTicket(deps.ticketWebhookUrl, deps.webhookSecret, ticket);
    },

    ...createContainmentActivities(deps),
    ...createIncidentActivities({ bindings: deps.responses.bindings, ...(deps.client ? { client: deps.client } : {}), ...(deps.incidents ? { incidents: deps.incidents } : {}) }),
  };
}
