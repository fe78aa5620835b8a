/**
 * AWS IAM containment over the IAM query API (POST form body, SigV4, XML replies; reference: IAM API
 * Reference, UpdateAccessKey / ListAccessKeys / PutUserPolicy / DeleteUserPolicy, and "Common Errors").
 * IAM reports throttling as HTTP 400 `Throttling`, so the error code in the XML body decides
 * retryability, not only the status. The endpoint is configurable (tests use a fake speaking the API).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ContainmentResult } from '../src/response/containment';
import { signV4, type AwsCredentials } from './sigv4';

export interface AwsIamConfig {
  /** https://iam.amazonaws.com in AWS; IAM is a global service signed for us-east-1. */
  endpoint: string;
  region: string;
  credentials: AwsCredentials;
}

export const denyAllPolicyName = 'vigil-deny-all';
const denyAllPolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'VigilQuarantine', Effect: 'Deny', Action: '*', Resource: '*' }] });

const retryableCodes = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'ServiceFailure', 'ServiceUnavailable', 'InternalFailure']);
type IamParams = Record<string, string>;

function xmlValue(xml: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
}

export class AwsIamActions {
  constructor(
    private readonly config: AwsIamConfig,
    private readonly dryRun: boolean,
  ) {}

  /** Calls one IAM action; `acceptCodes` lists error codes that count as success (idempotent undo). */
  private async call(action: string, params: IamParams, acceptCodes: string[] = []): Promise<string> {
    const body = new URLSearchParams({ Action: action, Version: '2010-05-08', ...params }).toString();
    const url = new URL(this.config.endpoint);
    const headers = signV4(
      { method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body, region: this.config.region, service: 'iam', now: new Date() },
      this.config.credentials,
    );
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body });
    } catch (err) {
      throw ApplicationFailure.retryable(`IAM ${action}: ${(err as Error).message}`, 'HttpUnreachable');
    }
    const xml = await response.text();
    if (response.ok) return xml;
    const code = xmlValue(xml, 'Code') ?? `HTTP${response.status}`;
    if (acceptCodes.includes(code)) return xml;
    const message = `IAM ${action} → HTTP ${response.status} ${code}: ${xmlValue(xml, 'Message') ?? ''}`;
    if (response.status >= 500 || retryableCodes.has(code)) throw ApplicationFailure.retryable(message, 'AwsUnavailable');
    throw ApplicationFailure.nonRetryable(message, 'VGL_ACTION_REJECTED');
  }

  private prefix(): string {
    return this.dryRun ? '[dry-run] ' : '';
  }

  async setAccessKeyStatus(user: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<{ summary: string; changed: boolean }> {
    let changed = true;
    if (!this.dryRun) {
      const listing = await this.call('ListAccessKeys', { UserName: user });
      const member = listing.split('<member>').find((m) => xmlValue(m, 'AccessKeyId') === accessKeyId);
      if (!member) throw ApplicationFailure.nonRetryable(`IAM user ${user} has no access key ${accessKeyId}`, 'VGL_ACTION_TARGET');
      changed = xmlValue(member, 'Status') !== status;
      if (changed) await this.call('UpdateAccessKey', { UserName: user, AccessKeyId: accessKeyId, Status: status });
    }
    const verb = status === 'Inactive' ? 'deactivated' : 'reactivated';
    return { summary: `${this.prefix()}${changed ? verb : `left already ${status.toLowerCase()}`} access key ${accessKeyId} of IAM user ${user}`, changed };
  }

  async deactivateAccessKey(user: string, accessKeyId: string): Promise<ContainmentResult> {
    const { summary, changed } = await this.setAccessKeyStatus(user, accessKeyId, 'Inactive');
    // A key someone had already disabled must not be re-enabled by our TTL.
    return { summary, undo: changed ? { action: 'aws.activateAccessKey', user, accessKeyId } : null, dryRun: this.dryRun };
  }

  async denyAllUserPolicy(user: string): Promise<ContainmentResult> {
    // PutUserPolicy replaces a policy of the same name, so a repeat is harmless.
    if (!this.dryRun) await this.call('PutUserPolicy', { UserName: user, PolicyName: denyAllPolicyName, PolicyDocument: denyAllPolicy });
    return { summary: `${this.prefix()}attached inline deny-all policy ${denyAllPolicyName} to IAM user ${user}`, undo: { action: 'aws.deleteUserPolicy', user, policyName: denyAllPolicyName }, dryRun: this.dryRun };
  }

  async deleteUserPolicy(user: string, policyName: string): Promise<string> {
    if (!this.dryRun) await this.call('DeleteUserPolicy', { UserName: user, PolicyName: policyName }, ['NoSuchEntity']);
    return `${this.prefix()}removed inline policy ${policyName} from IAM user ${user}`;
  }
}
