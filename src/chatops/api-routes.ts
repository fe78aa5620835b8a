/**
 * The JSON HTTP approval API. Every request carries `Authorization: Bearer <token>`; the token names
 * the caller's approver identity (configured, never taken from the body), so a decision records who
 * made it, and the identity's tenants bound what the caller sees and decides (checked against each run's
 * TenantId, see playbook-runs.ts). Errors are `{ code, message }` with the stable VGL_* code.
 *   GET  /api/v1/playbooks[?awaiting=true&tenant=acme]
 *   GET  /api/v1/playbooks/:workflowId
 *   POST /api/v1/playbooks/:workflowId/decision     { decision: approve|deny, reason? }
 *   POST /api/v1/playbooks/:workflowId/containment  { command: keep|release, reason? }
 *   POST /api/v1/alerts/:alertId/verdict            { tenant, verdict: true_positive|false_positive, note? }
 *   GET  /api/v1/incidents[?tenant=acme&all=true]   (all: merged ones too)
 *   GET  /api/v1/incidents/:workflowId
 *   POST /api/v1/incidents/:workflowId/acknowledge  { note? }
 *   POST /api/v1/incidents/:workflowId/resolve      { verdict: true_positive|false_positive|benign, note? }
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { bearerToken, lookupToken } from '../auth/bearer';
import { VigilError, type ErrorCode } from '../error-codes';
import type { ApproverIdentity, ResponseConfig } from '../response/response-config';
import { inScope, type TenantScope } from '../response/tenant-scope';
import { setAlertVerdict } from '../temporal/alert-verdict';
import { incidentVerdicts } from '../model/incident';
import { changeIncident, incidentStatus, listIncidents, type IncidentChange } from './incident-actions';
import { commandContainment, decidePlaybook, listPlaybookRuns, playbookStatus } from './playbook-runs';

export interface ApiRoutesDeps {
  logger: Logger;
  client: Client;
  /** Bearer token → the approver identity it authenticates (see apiCallers). */
  callers: ReadonlyMap<string, ApproverIdentity>;
}

/**
 * Resolves VIGIL_API_TOKENS' identities against rules/responses. A token whose identity is not an
 * approver is refused at start-up: it would carry no tenant scope and could decide nothing.
 */
export function apiCallers(tokens: ReadonlyMap<string, string>, responses: ResponseConfig): Map<string, ApproverIdentity> {
  const callers = new Map<string, ApproverIdentity>();
  for (const [token, name] of tokens) {
    const identity = responses.approvers.get(name);
    if (!identity) throw new VigilError('VGL_CONFIG_INVALID', `"${name}" is not an approver in rules/responses (a token names the identity it decides as)`, { field: 'VIGIL_API_TOKENS' });
    callers.set(token, identity);
  }
  return callers;
}

const DecisionBodySchema = z.object({ decision: z.enum(['approve', 'deny']), reason: z.string().max(2000).optional() }).strict();
const ContainmentBodySchema = z.object({ command: z.enum(['keep', 'release']), reason: z.string().max(2000).optional() }).strict();
const VerdictBodySchema = z.object({ tenant: z.string().min(1), verdict: z.enum(['true_positive', 'false_positive']), note: z.string().max(2000).optional() }).strict();
const ListQuerySchema = z.object({ awaiting: z.enum(['true', 'false']).optional(), tenant: z.string().optional() });
const IncidentListQuerySchema = z.object({ all: z.enum(['true', 'false']).optional(), tenant: z.string().optional() });
const AcknowledgeBodySchema = z.object({ note: z.string().max(2000).optional() }).strict();
const ResolveBodySchema = z.object({ verdict: z.enum(incidentVerdicts), note: z.string().max(2000).optional() }).strict();

const payloadError = (error: z.ZodError): VigilError => new VigilError('VGL_CHATOPS_PAYLOAD', error.issues[0]!.message, { field: error.issues[0]!.path.join('.') });

const statusOf: Partial<Record<ErrorCode, number>> = {
  VGL_APPROVAL_UNAUTHORIZED: 403,
  VGL_APPROVAL_SELF: 403,
  VGL_APPROVAL_DUPLICATE: 409,
  VGL_APPROVAL_CLOSED: 409,
  VGL_PLAYBOOK_NOT_FOUND: 404,
  VGL_ALERT_NOT_FOUND: 404,
  VGL_INCIDENT_NOT_FOUND: 404,
  VGL_INCIDENT_INVALID: 409,
  VGL_CHATOPS_PAYLOAD: 400,
};

export function registerApiRoutes(app: FastifyInstance, deps: ApiRoutesDeps): void {
  const { client, logger } = deps;

  const fail = (reply: FastifyReply, err: unknown) => {
    if (err instanceof VigilError) return reply.code(statusOf[err.code] ?? 400).send({ code: err.code, message: err.message });
    logger.error({ err }, 'approval API request failed');
    return reply.code(500).send({ message: (err as Error).message });
  };

  app.register(async (api) => {
    api.addHook('onRequest', async (request, reply) => {
      const caller = lookupToken(deps.callers, bearerToken(request.headers.authorization));
      if (!caller) return reply.code(401).send({ code: 'VGL_CHATOPS_AUTH', message: 'missing or unknown bearer token' });
      request.caller = caller;
    });

    api.get('/api/v1/playbooks', async (request, reply) => {
      const query = ListQuerySchema.safeParse(request.query);
      if (!query.success) return fail(reply, payloadError(query.error));
      return listPlaybookRuns(client, { awaiting: query.data.awaiting === 'true', scope: request.caller!.tenants, ...(query.data.tenant ? { tenant: query.data.tenant } : {}) });
    });

    api.get<{ Params: { workflowId: string } }>('/api/v1/playbooks/:workflowId', async (request, reply) => {
      try {
        return await playbookStatus(client, request.params.workflowId, request.caller!.tenants);
      } catch (err) {
        return fail(reply, err);
      }
    });

    api.post<{ Params: { workflowId: string } }>('/api/v1/playbooks/:workflowId/decision', async (request, reply) => {
      const body = DecisionBodySchema.safeParse(request.body);
      if (!body.success) return fail(reply, payloadError(body.error));
      try {
        return await decidePlaybook(client, request.params.workflowId, { ...body.data, by: request.caller!.name, via: 'http' }, request.caller!.tenants);
      } catch (err) {
        return fail(reply, err);
      }
    });

    // A tenant outside the caller's scope answers as an unknown alert would: nothing about it is disclosed.
    api.post<{ Params: { alertId: string } }>('/api/v1/alerts/:alertId/verdict', async (request, reply) => {
      const body = VerdictBodySchema.safeParse(request.body);
      if (!body.success) return fail(reply, payloadError(body.error));
      const { tenant, verdict, note } = body.data;
      const { alertId } = request.params;
      try {
        if (!inScope(request.caller!.tenants, tenant)) throw new VigilError('VGL_ALERT_NOT_FOUND', `tenant ${tenant} has no recent alert ${alertId}`, { field: 'alertId' });
        return await setAlertVerdict(client, tenant, { alertId, verdict, by: request.caller!.name, ...(note ? { note } : {}) });
      } catch (err) {
        return fail(reply, err);
      }
    });

    // Incidents: the functions `vigil incidents` calls, scoped to the caller's tenants (another tenant's is not found).
    api.get('/api/v1/incidents', async (request, reply) => {
      const query = IncidentListQuerySchema.safeParse(request.query);
      if (!query.success) return fail(reply, payloadError(query.error));
      return listIncidents(client, { scope: request.caller!.tenants, all: query.data.all === 'true', ...(query.data.tenant ? { tenant: query.data.tenant } : {}) });
    });

    api.get<{ Params: { workflowId: string } }>('/api/v1/incidents/:workflowId', async (request, reply) => {
      try {
        return await incidentStatus(client, request.params.workflowId, request.caller!.tenants);
      } catch (err) {
        return fail(reply, err);
      }
    });

    const incidentChange = async (reply: FastifyReply, workflowId: string, change: IncidentChange, scope: TenantScope) => {
      try {
        return await changeIncident(client, workflowId, change, scope);
      } catch (err) {
        return fail(reply, err);
      }
    };

    api.post<{ Params: { workflowId: string } }>('/api/v1/incidents/:workflowId/acknowledge', async (request, reply) => {
      const body = AcknowledgeBodySchema.safeParse(request.body ?? {});
      if (!body.success) return fail(reply, payloadError(body.error));
      const { note } = body.data;
      return incidentChange(reply, request.params.workflowId, { kind: 'acknowledge', by: request.caller!.name, ...(note ? { note } : {}) }, request.caller!.tenants);
    });

    api.post<{ Params: { workflowId: string } }>('/api/v1/incidents/:workflowId/resolve', async (request, reply) => {
      const body = ResolveBodySchema.safeParse(request.body);
      if (!body.success) return fail(reply, payloadError(body.error));
      const { verdict, note } = body.data;
      return incidentChange(reply, request.params.workflowId, { kind: 'resolve', by: request.caller!.name, verdict, ...(note ? { note } : {}) }, request.caller!.tenants);
    });

    api.post<{ Params: { workflowId: string } }>('/api/v1/playbooks/:workflowId/containment', async (request, reply) => {
      const body = ContainmentBodySchema.safeParse(request.body);
      if (!body.success) return fail(reply, payloadError(body.error));
      try {
        await commandContainment(client, request.params.workflowId, { ...body.data, by: request.caller!.name, via: 'http' }, request.caller!.tenants);
        return reply.code(202).send({ accepted: true });
      } catch (err) {
        return fail(reply, err);
      }
    });
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The approver identity the bearer token maps to (set by the API's auth hook). */
    caller?: ApproverIdentity;
  }
}
