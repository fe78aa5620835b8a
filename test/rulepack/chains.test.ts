/**
 * The pack's attack-chain and volume correlations (rules/correlations), offline through the real engine:
 * each fires on the attack it describes, per entity, and stays quiet on the look-alikes it was tuned against
 * (infrastructure-as-code runs, console browsing, a few reads, calls through a VPC endpoint).
 */
import type { CorrelationHit } from '../../src/correlation';
import { loadRuleSet, type CompiledRuleSet } from '../../src/sigma';
import { account, correlate, scenario, trail, type Replayed } from '../helpers/offline-correlation';

let ruleSet: CompiledRuleSet;

beforeAll(async () => {
  const loaded = await loadRuleSet([`${__dirname}/../../rules`]);
  expect(loaded.errors.map((e) => e.message)).toEqual([]);
  ruleSet = loaded.ruleSet;
});

const fired = (events: Replayed[], name: string): CorrelationHit[] => correlate(ruleSet, events).filter((h) => h.rule.name === name);
const minutes = (n: number) => n * 60_000;

describe('chains over the demo scenarios', () => {
  test('AWS: the leaked identity harvests, persists and blinds logging: the stolen-credential chain fires for it alone', () => {
    const hits = fired(scenario('aws-credential-compromise.ndjson'), 'aws_cloudtrail_stolen_credential_chain');
    expect(hits.map((h) => h.group)).toEqual([{ 'userIdentity.arn': `arn:aws:iam::${account}:user/svc-reporting` }]);
  });

  test('Kubernetes: the pod service account creates a privileged pod and lists secrets: the privilege chain fires for it', () => {
    const hits = fired(scenario('k8s-pod-compromise.ndjson'), 'kubernetes_audit_privilege_escalation_chain');
    expect(hits.map((h) => h.group)).toContainEqual({ 'user.username': 'system:serviceaccount:shop:checkout' });
  });

  test('Linux: download, persistence and a remote shell on web-01: the host intrusion chain fires for that host', () => {
    const hits = fired(scenario('linux-host-compromise.ndjson'), 'proc_creation_lnx_intrusion_chain');
    expect(hits.map((h) => h.group)).toEqual([{ Hostname: 'web-01' }]);
  });
});

describe('AWS chains are tuned against infrastructure as code and the console', () => {
  const describeCalls = (extra: Record<string, unknown>, count = 30) =>
    Array.from({ length: count }, (_, i) => trail(i * 2_000, 'ec2.amazonaws.com', `Describe${['Instances', 'Vpcs', 'Subnets', 'SecurityGroups', 'Volumes', 'Snapshots', 'Images', 'RouteTables', 'NatGateways', 'KeyPairs', 'Addresses', 'NetworkAcls'][i % 12]}`, extra));
  const terraform = 'APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.64.0';

  test('a Terraform plan reads a dozen resource types and trips no recon burst; the same reads from the CLI do', () => {
    expect(fired(describeCalls({ userAgent: terraform }), 'aws_cloudtrail_recon_burst')).toEqual([]);
    expect(fired(describeCalls({ userAgent: 'aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux' }), 'aws_cloudtrail_recon_burst').length).toBeGreaterThan(0);
  });

  test('console browsing (console session credentials) trips no recon burst', () => {
    expect(fired(describeCalls({ userAgent: 'AWS Internal', sessionCredentialFromConsole: 'true' }), 'aws_cloudtrail_recon_burst')).toEqual([]);
  });

  test('a Terraform apply that creates a user and reconfigures a trail completes no chain', () => {
    const events = [
      ...describeCalls({ userAgent: terraform }),
      trail(minutes(2), 'iam.amazonaws.com', 'CreateUser', { userAgent: terraform, requestParameters: { userName: 'ci-artifacts' } }),
      trail(minutes(3), 'cloudtrail.amazonaws.com', 'StopLogging', { userAgent: terraform, requestParameters: { name: 'org-trail' } }),
    ];
    expect(fired(events, 'aws_cloudtrail_stolen_credential_chain')).toEqual([]);
  });

  test('by hand, the same three steps from one CLI identity complete the chain', () => {
    const events = [
      ...describeCalls({ userAgent: 'aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux' }),
      trail(minutes(2), 'iam.amazonaws.com', 'CreateUser', { userAgent: 'aws-cli/2.17.20', requestParameters: { userName: 'backup-sync' } }),
      trail(minutes(3), 'cloudtrail.amazonaws.com', 'StopLogging', { userAgent: 'aws-cli/2.17.20', requestParameters: { name: 'org-trail' } }),
    ];
    expect(fired(events, 'aws_cloudtrail_stolen_credential_chain')).toHaveLength(1);
  });
});

describe('AWS volume correlations', () => {
  const secretRead = (i: number) => trail(i * 5_000, 'secretsmanager.amazonaws.com', 'GetSecretValue', { requestParameters: { secretId: `arn:aws:secretsmanager:eu-west-1:${account}:secret:app-${i}-Ab12Cd` } });

  test('ten different secrets read within ten minutes fire; nine, or one secret read ten times, do not', () => {
    expect(fired(Array.from({ length: 10 }, (_, i) => secretRead(i)), 'aws_cloudtrail_secret_values_read_in_bulk')).toHaveLength(1);
    expect(fired(Array.from({ length: 9 }, (_, i) => secretRead(i)), 'aws_cloudtrail_secret_values_read_in_bulk')).toEqual([]);
    const same = Array.from({ length: 10 }, (_, i) => ({ ...secretRead(0), time: i * 5_000 }));
    expect(fired(same, 'aws_cloudtrail_secret_values_read_in_bulk')).toEqual([]);
  });

  const instanceArn = `arn:aws:sts::${account}:assumed-role/web-instance-role/i-0a86d1f61db2b9b5d`;
  const instanceCall = (time: number, ip: string, extra: Record<string, unknown> = {}) =>
    trail(time, 'sts.amazonaws.com', 'GetCallerIdentity', { userIdentity: { type: 'AssumedRole', arn: instanceArn, accountId: account }, sourceIPAddress: ip, ...extra });

  test('instance credentials used from a second public address within the hour fire; one address, or a VPC endpoint, do not', () => {
    expect(fired([instanceCall(0, '54.201.17.3'), instanceCall(minutes(20), '203.0.113.90')], 'aws_cloudtrail_instance_credentials_multiple_source_ips')).toHaveLength(1);
    expect(fired([instanceCall(0, '54.201.17.3'), instanceCall(minutes(20), '54.201.17.3')], 'aws_cloudtrail_instance_credentials_multiple_source_ips')).toEqual([]);
    expect(fired([instanceCall(0, '54.201.17.3'), instanceCall(minutes(20), '10.0.4.12', { vpcEndpointId: 'vpce-0a1b2c3d4e5f60718' })], 'aws_cloudtrail_instance_credentials_multiple_source_ips')).toEqual([]);
  });

  test('twenty object deletions in one bucket by one identity fire; spread over two buckets they do not', () => {
    const del = (i: number, bucket: string) => trail(i * 3_000, 's3.amazonaws.com', 'DeleteObject', { eventCategory: 'Data', requestParameters: { bucketName: bucket, key: `exports/${i}.csv` } });
    expect(fired(Array.from({ length: 20 }, (_, i) => del(i, 'acme-payroll-exports')), 'aws_cloudtrail_s3_mass_object_deletion')).toHaveLength(1);
    expect(fired(Array.from({ length: 20 }, (_, i) => del(i, i % 2 ? 'acme-payroll-exports' : 'acme-web-assets')), 'aws_cloudtrail_s3_mass_object_deletion')).toEqual([]);
  });
});

describe('Kubernetes RBAC probing', () => {
  const audit = (time: number, verb: string, resource: string, code: number, extra: Record<string, unknown> = {}): Replayed => ({
    source: 'k8s_audit',
    time,
    data: {
      kind: 'Event', apiVersion: 'audit.k8s.io/v1', stage: 'ResponseComplete', verb,
      user: { username: 'system:serviceaccount:shop:checkout', groups: ['system:serviceaccounts', 'system:authenticated'] },
      sourceIPs: ['10.0.12.88'],
      objectRef: { resource, namespace: 'shop', apiVersion: 'v1' },
      responseStatus: { code },
      ...extra,
    },
  });
  const privilegedPod = (time: number) => audit(time, 'create', 'pods', 201, { requestObject: { kind: 'Pod', spec: { containers: [{ name: 'x', image: 'alpine', securityContext: { privileged: true } }] } } });

  test('three refused sensitive requests, then a privileged pod: probing and the privilege chain fire for the token', () => {
    const events = [audit(0, 'list', 'secrets', 403), audit(20_000, 'create', 'clusterrolebindings', 403), audit(40_000, 'create', 'pods', 403), privilegedPod(minutes(5))];
    const hits = correlate(ruleSet, events).map((h) => [h.rule.name, h.group]);
    expect(hits).toEqual(expect.arrayContaining([
      ['kubernetes_audit_rbac_probing', { 'user.username': 'system:serviceaccount:shop:checkout' }],
      ['kubernetes_audit_privilege_escalation_chain', { 'user.username': 'system:serviceaccount:shop:checkout' }],
    ]));
  });

  test('a privileged pod alone, or two refusals, complete nothing', () => {
    expect(fired([privilegedPod(0)], 'kubernetes_audit_privilege_escalation_chain')).toEqual([]);
    expect(fired([audit(0, 'list', 'secrets', 403), audit(20_000, 'create', 'pods', 403)], 'kubernetes_audit_rbac_probing')).toEqual([]);
  });
});
