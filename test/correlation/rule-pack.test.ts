/**
 * Vigil's correlation rules (rules/correlations) with the real Sigma engine: load the whole pack, turn matched
 * events into detections as ingest does (only the fields correlations need), and correlate offline.
 */
import { join } from 'node:path';
import type { CorrelationHit } from '../../src/correlation';
import { loadRuleSet, type CompiledRuleSet } from '../../src/sigma';
import { account, correlate, scenario, trail, type Replayed } from '../helpers/offline-correlation';

const rulesRoot = join(__dirname, '../../rules');
let ruleSet: CompiledRuleSet;

beforeAll(async () => {
  const loaded = await loadRuleSet([rulesRoot]);
  ruleSet = loaded.ruleSet;
  expect(loaded.errors.filter((e) => e.location.file?.includes('correlations')).map((e) => e.message)).toEqual([]);
});

const hitsOf = (events: Replayed[]): CorrelationHit[] => correlate(ruleSet, events);
const names = (hits: CorrelationHit[]) => hits.map((h) => h.rule.name);

test('the pack has at least five correlation rules, every one referring to loaded rules by name', () => {
  const pack = ruleSet.correlations.filter((c) => c.name);
  expect(pack.length).toBeGreaterThanOrEqual(5);
  const known = new Set([...ruleSet.rules.map((r) => r.ref.name), ...ruleSet.correlations.map((c) => c.name)]);
  for (const c of pack) for (const ref of c.rules) expect(known).toContain(ref);
});

describe('scenarios', () => {
  test('AWS credential compromise: the recon burst fires for the leaked identity only', () => {
    const hits = hitsOf(scenario('aws-credential-compromise.ndjson')).filter((h) => h.rule.name === 'aws_cloudtrail_recon_burst');
    // ~45 recon calls: each window fires once, at its 11th distinct API, then starts afresh.
    expect(hits.length).toBeGreaterThanOrEqual(1);
    expect(new Set(hits.map((h) => h.group['userIdentity.arn']))).toEqual(new Set([`arn:aws:iam::${account}:user/svc-reporting`]));
    expect(hits[0]!.value).toBe(11);
  });

  test('k8s pod compromise: exec and secrets listing by the same service account', () => {
    const hits = hitsOf(scenario('k8s-pod-compromise.ndjson')).filter((h) => h.rule.name === 'kubernetes_audit_exec_and_secrets_listing');
    expect(hits.map((h) => h.group)).toEqual([{ 'user.username': 'system:serviceaccount:shop:checkout' }]);
  });
});

describe('access key created for another user, then used', () => {
  const created = trail(0, 'iam.amazonaws.com', 'CreateAccessKey', {
    requestParameters: { userName: 'admin-break-glass' },
    responseElements: { accessKey: { accessKeyId: 'AKIAQ3EGRT7XB4CKD00R', status: 'Active', userName: 'admin-break-glass' } },
  });
  const usedWith = (key: string) =>
    trail(10 * 60_000, 'sts.amazonaws.com', 'GetCallerIdentity', {
      userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${account}:user/admin-break-glass`, accountId: account, userName: 'admin-break-glass', accessKeyId: key },
    });

  test('the new key used within the hour fires, grouped by the key (alias across the two rules)', () => {
    const hits = hitsOf([created, usedWith('AKIAQ3EGRT7XB4CKD00R')]).filter((h) => h.rule.name === 'aws_cloudtrail_access_key_created_then_used');
    expect(hits.map((h) => h.group)).toEqual([{ recipientAccountId: account, access_key_id: 'AKIAQ3EGRT7XB4CKD00R' }]);
  });

  test('another key does not', () => {
    expect(names(hitsOf([created, usedWith('AKIAQ3EGRT7XOTHERKEY')]))).not.toContain('aws_cloudtrail_access_key_created_then_used');
  });
});

describe('console brute force followed by a login without MFA (a chain)', () => {
  const failure = (i: number) => trail(i * 30_000, 'signin.amazonaws.com', 'ConsoleLogin', { responseElements: { ConsoleLogin: 'Failure' } });
  const success = trail(6 * 60_000, 'signin.amazonaws.com', 'ConsoleLogin', {
    responseElements: { ConsoleLogin: 'Success' },
    additionalEventData: { MFAUsed: 'No' },
  });

  test('five failures then a password-only success: the inner and the outer correlation fire', () => {
    const hits = hitsOf([0, 1, 2, 3, 4].map(failure).concat(success));
    expect(names(hits)).toEqual(['aws_cloudtrail_console_login_failures', 'aws_cloudtrail_console_brute_force_then_login']);
    expect(hits[1]!.eventIds).toHaveLength(6);
  });

  test('four failures are not a brute force', () => {
    expect(hitsOf([0, 1, 2, 3].map(failure).concat(success))).toEqual([]);
  });
});

describe('MFA device deactivated and not re-enabled (absence)', () => {
  const deactivated = trail(0, 'iam.amazonaws.com', 'DeactivateMFADevice', { requestParameters: { userName: 'bob', serialNumber: `arn:aws:iam::${account}:mfa/bob` } });
  const enabled = (t: number) => trail(t, 'iam.amazonaws.com', 'EnableMFADevice', { requestParameters: { userName: 'bob', serialNumber: `arn:aws:iam::${account}:mfa/bob-2` } });
  // Offline evaluation only sees detections, so event time moves on with a later detection (a recon call).
  const later = trail(11 * 60_000, 'iam.amazonaws.com', 'ListUsers');

  test('no enable within ten minutes: fires with the deactivation event', () => {
    const hits = hitsOf([deactivated, later]).filter((h) => h.kind === 'absence');
    expect(hits.map((h) => [h.rule.name, h.group, h.anchor?.eventId])).toEqual([
      ['aws_cloudtrail_mfa_deactivated_not_reenabled', { recipientAccountId: account, 'requestParameters.userName': 'bob' }, 'ev0'],
    ]);
  });

  test('a device enabled three minutes later (device swap) cancels it', () => {
    expect(hitsOf([deactivated, enabled(3 * 60_000), later]).filter((h) => h.kind === 'absence')).toEqual([]);
  });
});
