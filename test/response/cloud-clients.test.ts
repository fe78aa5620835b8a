/**
 * The containment activities' cloud clients against real HTTP(S) fakes, without Temporal: Kubernetes
 * in-cluster (a service-account token file that rotates between actions, the mounted CA) and through a
 * kubeconfig (context, token-file, certificate-authority-data), the static URL/token; IAM with the SDK's
 * default credential chain (environment with a session token; web identity as EKS IRSA sets it up,
 * against a fake STS, with a rotated token file), idempotent undo (NoSuchEntity), and the failure
 * classes the playbook's retry policy relies on.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import { createActivities, type ActivityDeps } from '../../activities';
import type { ContainmentRequest, UndoStep } from '../../src/response/containment';
import { startAwsIamFake, type AwsIamFake } from '../helpers/fakes/aws-iam';
import { startHttpFake } from '../helpers/fakes/http-fake';
import { startKubernetesApiFake, type KubernetesApiFake } from '../helpers/fakes/kubernetes-api';
import { makeTestCa, type TestCa } from '../helpers/test-ca';

const responses = { approvers: new Map(), groups: new Map(), operators: new Map(), bindings: [] };
const activities = (deps: Pick<ActivityDeps, 'kubernetes' | 'awsIam'>, dryRun = false) => createActivities({ logger: pino({ level: 'silent' }), dryRun, responses, ...deps });
const failure = (promise: Promise<unknown>): Promise<ApplicationFailure> => promise.then(() => { throw new Error('expected a failure'); }, (err: unknown) => err as ApplicationFailure);

let ca: TestCa;
let k8s: KubernetesApiFake;
let iam: AwsIamFake;
let dir: string;
const sessionCredentials = { accessKeyId: 'ASIAVIGILSESSION', secretAccessKey: 'c2Vzc2lvbi1zZWNyZXQ', sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN' };

beforeAll(async () => {
  ca = makeTestCa();
  k8s = await startKubernetesApiFake('sa-token-1', { pods: new Map(), networkPolicies: new Map(), deploymentReplicas: new Map(), nodesUnschedulable: new Map() }, { cert: ca.serverCert, key: ca.serverKey });
  iam = await startAwsIamFake([sessionCredentials], { accessKeys: new Map(), userPolicies: new Map() });
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-clients-'));
});

afterAll(async () => {
  await Promise.all([k8s?.close(), iam?.close()]);
});

const bearerTokens = (since: number) => k8s.requests.slice(since).map((r) => r.headers.authorization);

test('in-cluster: the service-account token is read again for each action, so a rotated token is used; the mounted CA is trusted', async () => {
  const root = path.join(dir, 'pod');
  const sa = path.join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
  mkdirSync(sa, { recursive: true });
  writeFileSync(path.join(sa, 'token'), 'sa-token-1');
  writeFileSync(path.join(sa, 'ca.crt'), ca.caCert);
  process.env.KUBERNETES_SERVICE_HOST = '127.0.0.1';
  process.env.KUBERNETES_SERVICE_PORT = new URL(k8s.url).port;
  k8s.rotateToken('sa-token-1');
  k8s.cluster.pods.set('shop/incluster-1', { labels: {} });
  const acts = activities({ kubernetes: { kind: 'in-cluster', pathPrefix: root } });
  const before = k8s.requests.length;

  const isolated = await acts.isolatePod({ action: 'k8s.isolatePod', namespace: 'shop', pod: 'incluster-1' }, false);
  expect(k8s.cluster.pods.get('shop/incluster-1')!.labels['vigil.dev/quarantine']).toBeDefined();
  // The kubelet rotates the projected token; the API server stops accepting the old one.
  writeFileSync(path.join(sa, 'token'), 'sa-token-2');
  k8s.rotateToken('sa-token-2');
  await acts.releasePod(isolated.undo!, false);

  expect(k8s.cluster.pods.get('shop/incluster-1')!.labels).toEqual({});
  expect(k8s.cluster.networkPolicies.size).toBe(0);
  expect(bearerTokens(before)).toEqual(['Bearer sa-token-1', 'Bearer sa-token-1', 'Bearer sa-token-2', 'Bearer sa-token-2']);
});

test('in-cluster without a token file: VGL_ACTION_NOT_CONFIGURED, not retried', async () => {
  const acts = activities({ kubernetes: { kind: 'in-cluster', pathPrefix: path.join(dir, 'no-such-pod') } });
  process.env.KUBERNETES_SERVICE_HOST = '127.0.0.1';
  process.env.KUBERNETES_SERVICE_PORT = new URL(k8s.url).port;
  const err = await failure(acts.deletePod({ action: 'k8s.deletePod', namespace: 'shop', pod: 'x' }, false));
  expect(err).toEqual(expect.objectContaining({ type: 'VGL_ACTION_NOT_CONFIGURED', nonRetryable: true }));
});

function writeKubeconfig(name: string, caPem: string, user: Record<string, string>): string {
  const file = path.join(dir, name);
  const cluster = (server: string) => ({ server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') });
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'elsewhere', cluster: cluster('https://127.0.0.1:1') }, { name: 'fake', cluster: cluster(k8s.url) }],
    users: [{ name: 'vigil', user }],
    contexts: [{ name: 'laptop', context: { cluster: 'elsewhere', user: 'vigil' } }, { name: 'response', context: { cluster: 'fake', user: 'vigil' } }],
    'current-context': 'laptop',
  }));
  return file;
}

test('kubeconfig: the chosen context, its CA from certificate-authority-data, a token-file re-read per action', async () => {
  const tokenFile = path.join(dir, 'kube-token');
  writeFileSync(tokenFile, 'kube-token-1');
  k8s.rotateToken('kube-token-1');
  k8s.cluster.nodesUnschedulable.set('node-kc', false);
  const acts = activities({ kubernetes: { kind: 'kubeconfig', path: writeKubeconfig('kubeconfig', ca.caCert, { 'token-file': tokenFile }), context: 'response' } });
  const before = k8s.requests.length;

  const cordoned = await acts.cordonNode({ action: 'k8s.cordonNode', node: 'node-kc' }, false);
  expect(k8s.cluster.nodesUnschedulable.get('node-kc')).toBe(true);
  writeFileSync(tokenFile, 'kube-token-2');
  k8s.rotateToken('kube-token-2');
  expect(await acts.uncordonNode(cordoned.undo!, false)).toBe('uncordoned node node-kc');

  expect(k8s.cluster.nodesUnschedulable.get('node-kc')).toBe(false);
  expect(bearerTokens(before)).toEqual(['Bearer kube-token-1', 'Bearer kube-token-1', 'Bearer kube-token-2', 'Bearer kube-token-2']);
});

test('kubeconfig trusting another CA: the TLS failure is retryable (HttpUnreachable) and says why', async () => {
  const other = makeTestCa();
  const acts = activities({ kubernetes: { kind: 'kubeconfig', path: writeKubeconfig('other-ca', other.caCert, { token: 'kube-token-2' }), context: 'response' } });
  const err = await failure(acts.deletePod({ action: 'k8s.deletePod', namespace: 'shop', pod: 'x' }, false));
  expect(err).toEqual(expect.objectContaining({ type: 'HttpUnreachable', nonRetryable: false }));
  expect(err.message).toMatch(/certificate/);
});

test('static URL and token (plain http, e.g. kubectl proxy): still supported', async () => {
  const plain = await startKubernetesApiFake('static', { pods: new Map([['shop/static-1', { labels: {} }]]), networkPolicies: new Map(), deploymentReplicas: new Map(), nodesUnschedulable: new Map() });
  try {
    const acts = activities({ kubernetes: { kind: 'token', apiServerUrl: plain.url, token: 'static' } });
    expect((await acts.deletePod({ action: 'k8s.deletePod', namespace: 'shop', pod: 'static-1' }, false)).summary).toBe('deleted pod shop/static-1');
    expect(plain.cluster.pods.has('shop/static-1')).toBe(false);
  } finally {
    await plain.close();
  }
});

describe('IAM', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    // The SDK's default chain starts with the environment (then web identity, profiles, container and instance roles).
    process.env.AWS_ACCESS_KEY_ID = sessionCredentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = sessionCredentials.secretAccessKey;
    process.env.AWS_SESSION_TOKEN = sessionCredentials.sessionToken;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  test('default credential chain: temporary credentials with a session token sign the calls; the undo reverts', async () => {
    iam.state.accessKeys.set('chain-user', new Map([['AKIACHAIN0001', 'Active']]));
    const acts = activities({ awsIam: { region: 'us-east-1', endpoint: iam.url } });
    const before = iam.requests.length;
    const applied = await acts.deactivateAccessKey({ action: 'aws.deactivateAccessKey', user: 'chain-user', accessKeyId: 'AKIACHAIN0001' }, false);
    expect(applied).toEqual({ summary: 'deactivated access key AKIACHAIN0001 of IAM user chain-user', undo: { action: 'aws.activateAccessKey', user: 'chain-user', accessKeyId: 'AKIACHAIN0001' }, dryRun: false });
    expect(iam.state.accessKeys.get('chain-user')!.get('AKIACHAIN0001')).toBe('Inactive');
    expect(iam.requests.slice(before).every((r) => r.headers['x-amz-security-token'] === sessionCredentials.sessionToken)).toBe(true);
    expect(await acts.activateAccessKey(applied.undo as UndoStep, false)).toBe('reactivated access key AKIACHAIN0001 of IAM user chain-user');
    expect(iam.state.accessKeys.get('chain-user')!.get('AKIACHAIN0001')).toBe('Active');
  });

  test('web identity (IRSA): the projected token is exchanged at STS; near expiry the SDK re-reads the rotated token file', async () => {
    const stsCredentials = { accessKeyId: 'ASIAVIGILIRSA', secretAccessKey: 'aXJzYS1zZWNyZXQ', sessionToken: 'IRSASESSIONTOKEN' };
    // Four minutes left: inside the SDK's five-minute refresh window, so every call assumes the role again.
    const expiration = new Date(Date.now() + 4 * 60_000).toISOString();
    const sts = await startHttpFake((req) => {
      const form = new URLSearchParams(req.body);
      if (form.get('Action') !== 'AssumeRoleWithWebIdentity') return { status: 400, body: 'unexpected' };
      const result = `<Credentials><AccessKeyId>${stsCredentials.accessKeyId}</AccessKeyId><SecretAccessKey>${stsCredentials.secretAccessKey}</SecretAccessKey><SessionToken>${stsCredentials.sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><Arn>${form.get('RoleArn')}/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>`;
      return { status: 200, headers: { 'content-type': 'text/xml' }, body: `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>${result}</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>` };
    });
    const irsaIam = await startAwsIamFake([stsCredentials], { accessKeys: new Map([['irsa-user', new Map([['AKIAIRSA', 'Active' as const]])]]), userPolicies: new Map() });
    try {
      const tokenFile = path.join(dir, 'eks-token');
      writeFileSync(tokenFile, 'projected-jwt-1');
      for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[name];
      Object.assign(process.env, {
        AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
        AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/vigil-responder',
        AWS_ROLE_SESSION_NAME: 'vigil',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_STS: sts.url,
        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'),
        AWS_CONFIG_FILE: path.join(dir, 'no-config'),
      });
      const acts = activities({ awsIam: { region: 'us-east-1', endpoint: irsaIam.url } });
      const applied = await acts.deactivateAccessKey({ action: 'aws.deactivateAccessKey', user: 'irsa-user', accessKeyId: 'AKIAIRSA' }, false);
      writeFileSync(tokenFile, 'projected-jwt-2');
      await acts.activateAccessKey(applied.undo as UndoStep, false);
      expect(irsaIam.calls).toEqual(['ListAccessKeys', 'UpdateAccessKey', 'ListAccessKeys', 'UpdateAccessKey']);
      const exchanged = sts.requests.map((r) => new URLSearchParams(r.body));
      expect(exchanged[0]!.get('RoleArn')).toBe('arn:aws:iam::111122223333:role/vigil-responder');
      expect(exchanged.map((form) => form.get('WebIdentityToken'))).toEqual(expect.arrayContaining(['projected-jwt-1', 'projected-jwt-2']));
      expect(exchanged[exchanged.length - 1]!.get('WebIdentityToken')).toBe('projected-jwt-2');
    } finally {
      await Promise.all([sts.close(), irsaIam.close()]);
    }
  });

  test('undo of a policy already gone (NoSuchEntity) counts as done; an unknown user is a permanent refusal', async () => {
    const acts = activities({ awsIam: { region: 'us-east-1', endpoint: iam.url } });
    expect(await acts.deleteUserPolicy({ action: 'aws.deleteUserPolicy', user: 'nobody', policyName: 'vigil-deny-all' }, false)).toBe('removed inline policy vigil-deny-all from IAM user nobody');
    const err = await failure(acts.denyAllUserPolicy({ action: 'aws.denyAllUserPolicy', user: 'nobody' }, false));
    expect(err).toEqual(expect.objectContaining({ type: 'VGL_ACTION_REJECTED', nonRetryable: true }));
    expect(err.message).toMatch(/HTTP 404 NoSuchEntity/);
  });

  test('credentials the service does not know are refused, not retried', async () => {
    const acts = activities({ awsIam: { region: 'us-east-1', endpoint: iam.url, credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' } } });
    const err = await failure(acts.denyAllUserPolicy({ action: 'aws.denyAllUserPolicy', user: 'chain-user' }, false));
    expect(err).toEqual(expect.objectContaining({ type: 'VGL_ACTION_REJECTED', nonRetryable: true }));
    expect(err.message).toMatch(/HTTP 403 InvalidClientTokenId/);
  });
});

test('unconfigured systems: VGL_ACTION_NOT_CONFIGURED for real runs; dry runs (binding or global) say what they would do and send nothing', async () => {
  const request: ContainmentRequest = { action: 'k8s.isolatePod', namespace: 'shop', pod: 'dry-1' };
  await expect(activities({}).isolatePod(request, false)).rejects.toEqual(expect.objectContaining({ type: 'VGL_ACTION_NOT_CONFIGURED', nonRetryable: true }));
  await expect(activities({}).denyAllUserPolicy({ action: 'aws.denyAllUserPolicy', user: 'u' }, false)).rejects.toEqual(expect.objectContaining({ type: 'VGL_ACTION_NOT_CONFIGURED' }));
  const bindingDry = await activities({}).isolatePod(request, true);
  expect(bindingDry).toEqual({ summary: expect.stringMatching(/^\[dry-run\] isolated pod shop\/dry-1 \(label vigil\.dev\/quarantine=[0-9a-f]{16}, NetworkPolicy vigil-quarantine-[0-9a-f]{16}\)$/), undo: expect.objectContaining({ action: 'k8s.releasePod' }), dryRun: true });
  const before = [k8s.requests.length, iam.requests.length];
  const globalDry = activities({ kubernetes: { kind: 'token', apiServerUrl: k8s.url, token: 'x' }, awsIam: { region: 'us-east-1', endpoint: iam.url } }, true);
  expect((await globalDry.denyAllUserPolicy({ action: 'aws.denyAllUserPolicy', user: 'u' }, false)).summary).toBe('[dry-run] attached inline deny-all policy vigil-deny-all to IAM user u');
  expect(await globalDry.releasePod({ action: 'k8s.releasePod', namespace: 'shop', pod: 'dry-1', policyName: 'p' }, false)).toBe('[dry-run] released pod shop/dry-1 (deleted NetworkPolicy p)');
  expect([k8s.requests.length, iam.requests.length]).toEqual(before);
});
