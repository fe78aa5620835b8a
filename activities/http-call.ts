/**
 * One HTTP request on behalf of a response action, with the failure classification every action shares:
 * network errors, 408, 429 and 5xx are retryable (the workflow's retry policy applies); any other
 * non-2xx is a permanent refusal (VGL_ACTION_REJECTED, non-retryable), unless the caller lists the
 * status as acceptable (e.g. 409 "already exists" makes a create idempotent).
 */
import { ApplicationFailure } from '@temporalio/common';

export interface HttpCall {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Non-2xx statuses that count as success for this call. */
  accept?: number[];
}

export interface HttpResult {
  status: number;
  text: string;
}

const retryableStatuses = new Set([408, 429]);

export async function httpCall(call: HttpCall): Promise<HttpResult> {
  let response: Response;
  try {
    response = await fetch(call.url, { method: call.method, headers: call.headers, body: call.body });
  } catch (err) {
    throw ApplicationFailure.retryable(`${call.method} ${call.url}: ${(err as Error).message}`, 'HttpUnreachable');
  }
  const text = await response.text();
  if (response.ok || call.accept?.includes(response.status)) return { status: response.status, text };
  const message = `${call.method} ${call.url} → HTTP ${response.status}: ${text.slice(0, 300)}`;
  if (response.status >= 500 || retryableStatuses.has(response.status)) throw ApplicationFailure.retryable(message, 'HttpUnavailable');
  throw ApplicationFailure.nonRetryable(message, 'VGL_ACTION_REJECTED');
}

export function notConfigured(what: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${what} is not configured`, 'VGL_ACTION_NOT_CONFIGURED');
}
