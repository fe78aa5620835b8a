/**
 * A fake AWS IAM query API: form-encoded POSTs, SigV4 checked by recomputing the signature with the AWS
 * SDK's own signer (@smithy/signature-v4, not the client's code path through Vigil) from the fake's
 * credentials (403 SignatureDoesNotMatch otherwise, 403 InvalidClientTokenId for an unknown key), XML
 * replies and `ErrorResponse` bodies as the IAM API Reference documents them (404 NoSuchEntity, 400
 * Throttling, …). Covers ListAccessKeys, UpdateAccessKey, PutUserPolicy, DeleteUserPolicy and
 * DeleteLoginProfile. Failures can be scripted per action.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { startHttpFake, type FakeReply, type HttpFake, type RecordedRequest } from './http-fake';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface FakeIamState {
  /** user → accessKeyId → Active|Inactive */
  accessKeys: Map<string, Map<string, 'Active' | 'Inactive'>>;
  /** `${user}/${policyName}` → policy document (JSON text) */
  userPolicies: Map<string, string>;
  /** Users with a console password (login profile). */
  loginProfiles?: Set<string>;
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

/** `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=a;b, Signature=hex` */
function parseAuthorization(value: string): { accessKeyId: string; date: string; region: string; service: string; signedHeaders: string[] } | undefined {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=[0-9a-f]{64}$/.exec(value);
  return m ? { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!, signedHeaders: m[5]!.split(';') } : undefined;
}

/**
 * Recomputes the request's signature over the headers it says it signed, with the fake's secret for
 * its key id; equal Authorization values mean the client signed correctly. Exported so a test can check
 * it against AWS's published example.
 */
export async function verifySigV4(
  request: { method: string; url: URL; headers: Record<string, string | string[] | undefined>; body: string },
  credentials: AwsCredentials[],
  /** S3 signs the path as sent (`false`); every other service encodes it once more (the default). */
  uriEscapePath = true,
): Promise<'ok' | 'unknown-key' | 'mismatch'> {
  const authorization = String(request.headers.authorization ?? '');
  const parsed = parseAuthorization(authorization);
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  if (!parsed || !/^\d{8}T\d{6}Z$/.test(amzDate) || !parsed.signedHeaders.includes('host')) return 'mismatch';
  const known = credentials.find((c) => c.accessKeyId === parsed.accessKeyId);
  if (!known) return 'unknown-key';
  const headers: Record<string, string> = {};
  for (const name of parsed.signedHeaders) headers[name] = String(request.headers[name] ?? '');
  const signer = new SignatureV4({ credentials: known, region: parsed.region, service: parsed.service, sha256: Hash.bind(null, 'sha256'), applyChecksum: false, uriEscapePath });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      ...(request.url.port ? { port: Number(request.url.port) } : {}),
      path: request.url.pathname,
      query: Object.fromEntries(request.url.searchParams),
      headers,
      body: request.body,
    },
    { signingDate: new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`) },
  );
  return signed.headers.authorization === authorization ? 'ok' : 'mismatch';
}

export async function startAwsIamFake(credentials: AwsCredentials[], state: FakeIamState): Promise<AwsIamFake> {
  const calls: string[] = [];
  const failures: { action: string; status: number; code: string; times: number }[] = [];
  let url = '';
  const route = async (req: RecordedRequest): Promise<FakeReply> => {
    if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return error(400, 'InvalidAction', 'POST form bodies only');
    const verdict = await verifySigV4({ method: req.method, url: new URL(req.path, url), headers: req.headers, body: req.body }, credentials);
    if (verdict === 'unknown-key') return error(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (verdict === 'mismatch') return error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
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
      case 'DeleteLoginProfile':
        if (!state.loginProfiles?.delete(user)) return error(404, 'NoSuchEntity', `Login Profile for User ${user} cannot be found.`);
        return ok(action);
      default:
        return error(400, 'InvalidAction', `Could not find operation ${action}`);
    }
  };
  const fake = await startHttpFake(route);
  url = fake.url;
  return { ...fake, state, calls, failNext: (action, status, code, times) => failures.push({ action, status, code, times }) };
}
