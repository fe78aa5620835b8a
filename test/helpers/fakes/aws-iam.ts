/**
 * A fake AWS IAM query API: form-encoded POSTs, SigV4 verified against the fake's own credentials
 * (403 SignatureDoesNotMatch otherwise), XML replies and `ErrorResponse` bodies as the IAM API Reference
 * documents them (404 NoSuchEntity, 400 Throttling, …). Covers ListAccessKeys, UpdateAccessKey,
 * PutUserPolicy and DeleteUserPolicy. Failures can be scripted per action.
 */
import { signV4, type AwsCredentials } from '../../../activities/sigv4';
import { startHttpFake, type FakeReply, type HttpFake, type RecordedRequest } from './http-fake';

export interface FakeIamState {
  /** user → accessKeyId → Active|Inactive */
  accessKeys: Map<string, Map<string, 'Active' | 'Inactive'>>;
  /** `${user}/${policyName}` → policy document (JSON text) */
  userPolicies: Map<string, string>;
}

export interface AwsIamFake extends HttpFake {
  state: FakeIamState;
  /** Actions in the order they were called (after signature verification). */
  calls: string[];
  failNext(action: string, status: number, code: string, times: number): void;
}

const ns = 'https://iam.amazonaws.com/doc/2010-05-08/';
const requestId = '<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>';
const ok = (action: string, result = ''): FakeReply => ({
  status: 200,
  body: `<${action}Response xmlns="${ns}">${result ? `<${action}Result>${result}</${action}Result>` : ''}${requestId}</${action}Response>`,
  headers: { 'content-type': 'text/xml' },
});
const error = (status: number, code: string, message: string): FakeReply => ({
  status,
  body: `<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>7a62c49f</RequestId></ErrorResponse>`,
  headers: { 'content-type': 'text/xml' },
});

function signatureValid(req: RecordedRequest, url: string, credentials: AwsCredentials): boolean {
  const auth = String(req.headers.authorization ?? '');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const signed = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
  if (!signed.includes('host') || !signed.includes('x-amz-date')) return false;
  const headers: Record<string, string> = {};
  for (const name of signed) if (name !== 'host' && name !== 'x-amz-date') headers[name] = String(req.headers[name] ?? '');
  const now = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const expected = signV4({ method: req.method, url: new URL(req.path, url), headers, body: req.body, region: 'us-east-1', service: 'iam', now }, credentials);
  return expected.authorization === auth;
}

export async function startAwsIamFake(credentials: AwsCredentials, state: FakeIamState): Promise<AwsIamFake> {
  const calls: string[] = [];
  const failures: { action: string; status: number; code: string; times: number }[] = [];
  let url = '';
  const fake = await startHttpFake((req) => {
    if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return error(400, 'InvalidAction', 'POST form bodies only');
    if (!signatureValid(req, url, credentials)) return error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    const params = new URLSearchParams(req.body);
    const action = params.get('Action') ?? '';
    if (params.get('Version') !== '2010-05-08') return error(400, 'InvalidParameterValue', 'Version');
    calls.push(action);
    const failure = failures.find((f) => f.times > 0 && f.action === action);
    if (failure) {
      failure.times -= 1;
      return error(failure.status, failure.code, 'scripted failure');
    }
    const user = params.get('UserName') ?? '';
    const keys = state.accessKeys.get(user);
    switch (action) {
      case 'ListAccessKeys': {
        if (!keys) return error(404, 'NoSuchEntity', `The user with name ${user} cannot be found.`);
        const members = [...keys].map(([id, status]) => `<member><UserName>${user}</UserName><AccessKeyId>${id}</AccessKeyId><Status>${status}</Status></member>`);
        return ok(action, `<UserName>${user}</UserName><AccessKeyMetadata>${members.join('')}</AccessKeyMetadata><IsTruncated>false</IsTruncated>`);
      }
      case 'UpdateAccessKey': {
        const id = params.get('AccessKeyId') ?? '';
        const status = params.get('Status');
        if (!keys?.has(id)) return error(404, 'NoSuchEntity', `The Access Key with id ${id} cannot be found.`);
        if (status !== 'Active' && status !== 'Inactive') return error(400, 'ValidationError', 'Status');
        keys.set(id, status);
        return ok(action);
      }
      case 'PutUserPolicy':
        if (!keys) return error(404, 'NoSuchEntity', `The user with name ${user} cannot be found.`);
        state.userPolicies.set(`${user}/${params.get('PolicyName')}`, params.get('PolicyDocument') ?? '');
        return ok(action);
      case 'DeleteUserPolicy':
        if (!state.userPolicies.delete(`${user}/${params.get('PolicyName')}`)) return error(404, 'NoSuchEntity', 'The user policy cannot be found.');
        return ok(action);
      default:
        return error(400, 'InvalidAction', `Could not find operation ${action}`);
    }
  });
  url = fake.url;
  return { ...fake, state, calls, failNext: (action, status, code, times) => failures.push({ action, status, code, times }) };
}
