/**
 * The chatops server: Slack slash command and interactivity endpoints (signed requests only) and the
 * JSON approval API (bearer tokens), every caller scoped to its identity's tenants. Slack signs the raw
 * form body, so form bodies are kept as text and parsed only after verification.
 */
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ResponseConfig } from '../response/response-config';
import { apiCallers, registerApiRoutes } from './api-routes';
import { registerSlackRoutes } from './slack-routes';

export interface ChatopsDeps {
  logger: Logger;
  client: Client;
  responses: ResponseConfig;
  /** Slack app signing secret; without it the Slack endpoints are not served. */
  slackSigningSecret?: string;
  /** Origins a click's response_url may point to (VIGIL_SLACK_RESPONSE_ORIGINS). */
  slackResponseOrigins: readonly string[];
  /** Bearer token → approver identity name for the JSON API (each must be an approver of `responses`). */
  apiTokens: ReadonlyMap<string, string>;
}

export function buildChatopsApp(deps: ChatopsDeps): FastifyInstance {
  const callers = apiCallers(deps.apiTokens, deps.responses);
  // Our pino (v10) and fastify's bundled pino types differ only nominally; the runtime interface is the same.
  const app = Fastify({ loggerInstance: deps.logger.child({ component: 'chatops' }) as unknown as FastifyBaseLogger });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.get('/healthz', async () => ({ ok: true }));
  if (deps.slackSigningSecret) {
    registerSlackRoutes(app, { logger: deps.logger, client: deps.client, responses: deps.responses, signingSecret: deps.slackSigningSecret, responseOrigins: deps.slackResponseOrigins });
  }
  registerApiRoutes(app, { logger: deps.logger, client: deps.client, callers });
  return app;
}
