/**
 * Vigil's own rule pack (rules/sigma) and its attack scenarios (rules/scenarios), checked with the
 * real Sigma engine: every rule loads, is mapped to ATT&CK, follows the SigmaHQ layout, passes its
 * own match/nomatch events, and the scenarios replay into the detections the demo relies on.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { testRules, type RuleTestResult } from '../../src/cli/rules-test';
import type { RuleRef } from '../../src/model/detection';
import { loadRuleSet, type CompiledRule, type CompiledRuleSet } from '../../src/sigma';

const rulesRoot = resolve(__dirname, '../../rules');
const packDir = join(rulesRoot, 'sigma');
const testsDir = join(rulesRoot, 'tests');
const scenariosDir = join(rulesRoot, 'scenarios');
/** Recorded public attack data, vendored with its licences (test/corpus/README.md). */
const corpusDir = resolve(__dirname, '../corpus');

/** The ATT&CK tactics, in the hyphenated spelling Sigma tags use. */
const tactics = new Set([
  'reconnaissance', 'resource-development', 'initial-access', 'execution', 'persistence', 'privilege-escalation',
  'defense-evasion', 'credential-access', 'discovery', 'lateral-movement', 'collection', 'command-and-control',
  'exfiltration', 'impact',
]);
const techniqueTag = /^attack\.t\d{4}(\.\d{3})?$/;
const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** SigmaHQ file naming: the stem prefix and directory each logsource's rules live under. */
const layouts = [
  { logsource: { product: 'aws', service: 'cloudtrail' }, dir: 'aws/cloudtrail', prefix: 'aws_cloudtrail_', minimum: 15 },
  { logsource: { product: 'kubernetes', service: 'audit' }, dir: 'kubernetes/audit', prefix: 'kubernetes_audit_', minimum: 15 },
  { logsource: { product: 'linux', category: 'process_creation' }, dir: 'linux/process_creation', prefix: 'proc_creation_lnx_', minimum: 15 },
  { logsource: { product: 'linux', service: 'auditd' }, dir: 'linux/auditd', prefix: 'lnx_auditd_', minimum: 0 },
];

const ScenarioLineSchema = z.object({
  source: z.enum(['cloudtrail', 'k8s_audit', 'process']),
  offsetMs: z.number().int().nonnegative(),
  data: z.record(z.string(), z.unknown()),
});
type ScenarioLine = z.infer<typeof ScenarioLineSchema>;

let ruleSet: CompiledRuleSet;
let pack: CompiledRule[];

beforeAll(async () => {
  const loaded = await loadRuleSet([rulesRoot]);
  expect(loaded.errors.map((e) => e.message)).toEqual([]);
  ruleSet = loaded.ruleSet;
  pack = ruleSet.rules.filter((r) => resolve(r.rule.file).startsWith(packDir + sep));
});

describe('rule pack layout and metadata', () => {
  test('holds at least 45 rules, at least 15 each for CloudTrail, Kubernetes audit and Linux process creation', () => {
    expect(pack.length).toBeGreaterThanOrEqual(45);
    for (const layout of layouts) {
      const count = pack.filter((r) => JSON.stringify(r.logsource) === JSON.stringify(layout.logsource)).length;
      expect({ dir: layout.dir, enough: count >= layout.minimum }).toEqual({ dir: layout.dir, enough: true });
    }
  });

  test('every rule sits at sigma/<product>/<service-or-category>/<stem>.yml with a matching logsource and name', () => {
    const misplaced = pack.flatMap((r) => {
      const layout = layouts.find((l) => JSON.stringify(l.logsource) === JSON.stringify(r.logsource));
      const path = relative(packDir, r.rule.file).split(sep).join('/');
      const stem = basename(path, '.yml');
      const ok = layout !== undefined && path === `${layout.dir}/${stem}.yml` && stem.startsWith(layout.prefix) && r.ref.name === stem;
      return ok ? [] : [path];
    });
    expect(misplaced).toEqual([]);
  });

  test('ids are fresh UUID v4 values and names are unique snake_case', () => {
    const badIds = pack.filter((r) => !uuidV4.test(r.ref.id)).map((r) => r.ref.name);
    expect(badIds).toEqual([]);
    const names = pack.map((r) => r.ref.name ?? '');
    expect(names.filter((n) => !/^[a-z0-9]+(_[a-z0-9]+)*$/.test(n))).toEqual([]);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(pack.map((r) => r.ref.id)).size).toBe(pack.length);
  });

  test('every rule carries an ATT&CK tactic tag and a technique tag, and nothing malformed under attack.*', () => {
    const unmapped = pack.flatMap((r) => {
      const attack = r.ref.tags.filter((t) => t.startsWith('attack.'));
      const hasTactic = attack.some((t) => tactics.has(t.slice('attack.'.length)));
      const hasTechnique = attack.some((t) => techniqueTag.test(t));
      const malformed = attack.filter((t) => !techniqueTag.test(t) && !tactics.has(t.slice('attack.'.length)));
      return hasTactic && hasTechnique && malformed.length === 0 ? [] : [`${r.ref.name}: ${r.ref.tags.join(', ')}`];
    });
    expect(unmapped).toEqual([]);
  });

  test('every rule has non-empty match.ndjson and nomatch.ndjson test files', () => {
    const missing = pack.flatMap((r) =>
      ['match.ndjson', 'nomatch.ndjson']
        .map((f) => join(testsDir, r.ref.name ?? '', f))
        .filter((f) => !existsSync(f) || readFileSync(f, 'utf8').trim() === '')
        .map((f) => relative(rulesRoot, f)),
    );
    expect(missing).toEqual([]);
  });
});

describe('rule tests (vigil rules test)', () => {
  let results: RuleTestResult[];
  let output: string[];

  beforeAll(async () => {
    output = [];
    const run = await testRules([packDir], { testsDir }, (line) => output.push(line));
    expect(run.loadErrors.map((e) => e.message)).toEqual([]);
    results = run.results;
  });

  test('every match event matches its rule and no nomatch event does', () => {
    const failed = results.filter((r) => !r.passed).flatMap((r) => r.failures.map((f) => f.message));
    expect(failed).toEqual([]);
  });

  test('every rule was exercised with at least one match and one nomatch case', () => {
    expect(results.length).toBe(pack.length);
    const thin = results.filter((r) => r.skipped || r.matchCases < 1 || r.nomatchCases < 1).map((r) => r.stem);
    expect(thin).toEqual([]);
  });
});

function readScenario(name: string): ScenarioLine[] {
  const file = join(scenariosDir, name);
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line, i) => {
      if (line.trim() === '') return [];
      const parsed = ScenarioLineSchema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${file}:${i + 1}: ${parsed.error.message}`);
      return [parsed.data];
    });
}

/** Pack rules of level low or above that a scenario line hits (informational building blocks are left out). */
function alerting(line: ScenarioLine): RuleRef[] {
  const packIds = new Set(pack.map((r) => r.ref.id));
  return ruleSet.match(line.data, line.source).filter((r) => packIds.has(r.id) && r.level !== 'informational');
}

/** A dotted path into a raw event, as a string. */
function field(data: Record<string, unknown>, path: string): string | undefined {
  const value = path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), data);
  return typeof value === 'string' ? value : undefined;
}

describe('attack scenarios', () => {
  const scenarioFiles = readdirSync(scenariosDir).filter((f) => f.endsWith('.ndjson'));

  test('there are at least the two demo scenarios', () => {
    expect(scenarioFiles).toEqual(expect.arrayContaining(['aws-credential-compromise.ndjson', 'k8s-pod-compromise.ndjson']));
  });

  test.each(scenarioFiles)('%s: every line is a valid scenario event, in time order, with at least 5 rule hits and some benign events', (name) => {
    const lines = readScenario(name);
    const offsets = lines.map((l) => l.offsetMs);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    const hits = lines.map(alerting);
    expect(hits.filter((h) => h.length > 0).length).toBeGreaterThanOrEqual(5);
    expect(hits.filter((h) => h.length === 0).length).toBeGreaterThanOrEqual(3);
  });

  test('aws-credential-compromise: one leaked IAM user does recon, persists and blinds logging, then tries the key it minted', () => {
    const lines = readScenario('aws-credential-compromise.ndjson');
    expect(lines.length).toBeGreaterThanOrEqual(50);
    expect(lines.every((l) => l.source === 'cloudtrail')).toBe(true);
    const span = lines[lines.length - 1]!.offsetMs - lines[0]!.offsetMs;
    expect(span).toBeGreaterThanOrEqual(90_000);
    expect(span).toBeLessThanOrEqual(180_000);

    const leaked = 'arn:aws:iam::111122223333:user/svc-reporting';
    const backdoor = 'arn:aws:iam::111122223333:user/admin-break-glass';
    const hitLines = lines.filter((l) => alerting(l).length > 0);
    expect(new Set(hitLines.map((l) => field(l.data, 'userIdentity.arn')))).toEqual(new Set([leaked, backdoor]));
    const recon = lines.filter((l) => /^(List|Describe|Get)/.test(field(l.data, 'eventName') ?? '') && field(l.data, 'userIdentity.arn') === leaked);
    expect(recon.length).toBeGreaterThanOrEqual(30);

    // The backdoor user appears once, at the end, calling with the key the leaked identity created for it.
    const minted = lines.find((l) => field(l.data, 'eventName') === 'CreateAccessKey');
    const backdoorLines = lines.filter((l) => field(l.data, 'userIdentity.arn') === backdoor);
    expect(backdoorLines).toHaveLength(1);
    const lastByLeaked = Math.max(...lines.filter((l) => field(l.data, 'userIdentity.arn') === leaked).map((l) => l.offsetMs));
    expect(backdoorLines[0]!.offsetMs).toBeGreaterThan(lastByLeaked);
    expect(field(backdoorLines[0]!.data, 'userIdentity.accessKeyId')).toBe(field(minted!.data, 'responseElements.accessKey.accessKeyId'));

    const fired = new Set(hitLines.filter((l) => field(l.data, 'userIdentity.arn') === leaked).flatMap((l) => alerting(l).map((r) => r.name)));
    expect([...fired]).toEqual(
      expect.arrayContaining([
        'aws_cloudtrail_caller_identity_with_long_term_key',
        'aws_cloudtrail_secrets_batch_retrieved',
        'aws_cloudtrail_access_key_created_for_other_user',
        'aws_cloudtrail_trail_stopped_or_deleted',
        'aws_cloudtrail_guardduty_detector_disabled',
      ]),
    );
  });

  test('k8s-pod-compromise: one pod, its service account and its node are each the subject of several detections', () => {
    const lines = readScenario('k8s-pod-compromise.ndjson');
    const firedBy = (select: (l: ScenarioLine) => boolean) => new Set(lines.filter(select).flatMap((l) => alerting(l).map((r) => r.name)));

    const pod = { ns: 'shop', name: 'checkout-7d9f8c6b5-x2kqp' };
    const onPod = firedBy(
      (l) =>
        (l.source === 'k8s_audit' && field(l.data, 'objectRef.namespace') === pod.ns && field(l.data, 'objectRef.name') === pod.name) ||
        (l.source === 'process' && field(l.data, 'PodNamespace') === pod.ns && field(l.data, 'PodName') === pod.name),
    );
    expect([...onPod]).toEqual(
      expect.arrayContaining([
        'kubernetes_audit_pod_exec',
        'proc_creation_lnx_serviceaccount_token_read_in_container',
        'proc_creation_lnx_cloud_metadata_credentials_request',
      ]),
    );

    const bySa = firedBy((l) => field(l.data, 'user.username') === 'system:serviceaccount:shop:checkout');
    expect([...bySa]).toEqual(
      expect.arrayContaining([
        'kubernetes_audit_secrets_listed_by_workload_serviceaccount',
        'kubernetes_audit_privileged_container',
        'kubernetes_audit_sensitive_hostpath_mount',
      ]),
    );

    const onNode = firedBy((l) => l.source === 'process' && field(l.data, 'Hostname') === 'ip-10-0-12-34');
    expect([...onNode]).toEqual(
      expect.arrayContaining(['proc_creation_lnx_chroot_into_host_mount', 'proc_creation_lnx_shell_redirect_to_dev_tcp', 'proc_creation_lnx_cryptominer_execution']),
    );

    // Background activity of the control plane, the kubelet and the node itself stays quiet.
    const background = lines.filter(
      (l) =>
        /^system:(kube-controller-manager|node:)/.test(field(l.data, 'user.username') ?? '') ||
        (l.source === 'process' && field(l.data, 'PodName') === undefined),
    );
    expect(background.length).toBeGreaterThanOrEqual(3);
    expect(background.flatMap(alerting)).toEqual([]);
  });
});

/** Events of a corpus file: a JSON array of CloudTrail records, or one audit Event / EventList per line. */
function corpusEvents(file: string): unknown[] {
  const text = readFileSync(join(corpusDir, file), 'utf8');
  if (text.trimStart().startsWith('[')) return JSON.parse(text) as unknown[];
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      const doc = JSON.parse(line) as { kind?: string; items?: unknown[] };
      return doc.kind === 'EventList' ? (doc.items ?? []) : [doc];
    });
}

describe('linux-host-compromise scenario', () => {
  test('one web server host: foothold as www-data, then root persistence and cleanup, each step detected', () => {
    const lines = readScenario('linux-host-compromise.ndjson');
    expect(new Set(lines.map((l) => field(l.data, 'Hostname')))).toEqual(new Set(['web-01']));
    const firedAs = (user: string) => new Set(lines.filter((l) => field(l.data, 'User') === user).flatMap((l) => alerting(l).map((r) => r.name)));
    expect([...firedAs('www-data')]).toEqual(
      expect.arrayContaining(['proc_creation_lnx_download_chmod_execute_tmp', 'proc_creation_lnx_python_pty_spawn', 'proc_creation_lnx_find_setuid_binaries']),
    );
    expect([...firedAs('root')]).toEqual(
      expect.arrayContaining([
        'proc_creation_lnx_shadow_file_read',
        'proc_creation_lnx_ssh_authorized_keys_write',
        'proc_creation_lnx_uid_zero_account',
        'proc_creation_lnx_kernel_module_loaded',
        'proc_creation_lnx_shell_history_tampering',
      ]),
    );
    // Cron, log rotation, the web app's scheduled jobs and image conversion stay quiet.
    const background = lines.filter((l) => /\/(cron|logrotate|php8\.2|convert|apache2)$/.test(field(l.data, 'Image') ?? ''));
    expect(background.length).toBeGreaterThanOrEqual(5);
    expect(background.flatMap(alerting)).toEqual([]);
  });
});

describe('recorded attacks in the public corpus', () => {
  const stratus = 'stratus-red-team/docs/detonation-logs';
  const falco = 'falco-k8s-audit/test/trace_files/k8s_audit';
  const packNames = (events: unknown[], source: 'cloudtrail' | 'k8s_audit') => {
    const packIds = new Set(pack.map((r) => r.ref.id));
    return [...new Set(events.flatMap((e) => ruleSet.match(e, source).filter((r) => packIds.has(r.id)).map((r) => r.name)))];
  };

  /** Each vendored detonation: the rule that must fire, the ATT&CK technique it must report, and the technique's own API calls. */
  const detonations: [string, string, string, string[]][] = [
    ['aws.credential-access.secretsmanager-batch-retrieve-secrets', 'aws_cloudtrail_secrets_batch_retrieved', 'T1555.006', ['BatchGetSecretValue']],
    ['aws.defense-evasion.cloudtrail-delete', 'aws_cloudtrail_trail_stopped_or_deleted', 'T1562.008', ['DeleteTrail']],
    ['aws.defense-evasion.cloudtrail-event-selectors', 'aws_cloudtrail_event_selectors_drop_management_events', 'T1562.008', ['PutEventSelectors']],
    ['aws.defense-evasion.cloudtrail-stop', 'aws_cloudtrail_trail_stopped_or_deleted', 'T1562.008', ['StopLogging']],
    ['aws.defense-evasion.dns-delete-logs', 'aws_cloudtrail_dns_query_logging_removed', 'T1562.008', ['DeleteResolverQueryLogConfig']],
    ['aws.defense-evasion.organizations-leave', 'aws_cloudtrail_organization_left', 'T1562', ['LeaveOrganization']],
    ['aws.defense-evasion.vpc-remove-flow-logs', 'aws_cloudtrail_vpc_flow_logs_deleted', 'T1562.008', ['DeleteFlowLogs']],
    ['aws.execution.ec2-launch-unusual-instances', 'aws_cloudtrail_ec2_gpu_or_bulk_instances_launched', 'T1496', ['RunInstances']],
    ['aws.execution.ec2-user-data', 'aws_cloudtrail_ec2_user_data_modified', 'T1059.009', ['ModifyInstanceAttribute']],
    ['aws.exfiltration.ec2-security-group-open-port-22-ingress', 'aws_cloudtrail_security_group_open_to_internet', 'T1562.007', ['AuthorizeSecurityGroupIngress']],
    ['aws.exfiltration.ec2-share-ami', 'aws_cloudtrail_ami_shared', 'T1537', ['ModifyImageAttribute']],
    ['aws.exfiltration.ec2-share-ebs-snapshot', 'aws_cloudtrail_ebs_snapshot_shared', 'T1537', ['ModifySnapshotAttribute']],
    ['aws.exfiltration.rds-share-snapshot', 'aws_cloudtrail_rds_snapshot_shared', 'T1537', ['ModifyDBSnapshotAttribute']],
    ['aws.initial-access.console-login-without-mfa', 'aws_cloudtrail_console_login_without_mfa', 'T1078.004', ['ConsoleLogin']],
    ['aws.lateral-movement.ec2-instance-connect', 'aws_cloudtrail_ec2_ssh_key_pushed', 'T1021.004', ['SendSSHPublicKey']],
    ['aws.lateral-movement.ec2-serial-console-send-ssh-public-key', 'aws_cloudtrail_ec2_ssh_key_pushed', 'T1021.004', ['EnableSerialConsoleAccess', 'SendSerialConsoleSSHPublicKey']],
    ['aws.persistence.iam-backdoor-role', 'aws_cloudtrail_role_trust_policy_opened', 'T1098.003', ['UpdateAssumeRolePolicy']],
    ['aws.persistence.iam-backdoor-user', 'aws_cloudtrail_access_key_created_for_other_user', 'T1098.001', ['CreateAccessKey']],
    ['aws.persistence.iam-create-admin-user', 'aws_cloudtrail_iam_user_created_outside_iac', 'T1136.003', ['CreateUser', 'AttachUserPolicy', 'CreateAccessKey']],
    ['aws.persistence.iam-create-backdoor-role', 'aws_cloudtrail_role_trust_policy_opened', 'T1098.003', ['CreateRole', 'AttachRolePolicy']],
    ['aws.persistence.iam-create-user-login-profile', 'aws_cloudtrail_login_profile_set_for_other_user', 'T1098', ['CreateLoginProfile', 'GetCallerIdentity']],
    ['aws.persistence.lambda-backdoor-function', 'aws_cloudtrail_lambda_invoke_granted_to_everyone', 'T1546', ['AddPermission20150331v2']],
    ['aws.persistence.lambda-layer-extension', 'aws_cloudtrail_lambda_layer_attached', 'T1546', ['UpdateFunctionConfiguration20150331v2']],
    ['aws.persistence.lambda-overwrite-code', 'aws_cloudtrail_lambda_code_updated_by_iam_user', 'T1648', ['UpdateFunctionCode20150331v2']],
    ['aws.persistence.rolesanywhere-create-trust-anchor', 'aws_cloudtrail_rolesanywhere_trust_anchor_created', 'T1098.001', ['CreateTrustAnchor']],
    ['aws.persistence.sts-federation-token', 'aws_cloudtrail_federation_token_requested', 'T1550.001', ['GetFederationToken']],
    ['aws.privilege-escalation.iam-update-user-login-profile', 'aws_cloudtrail_login_profile_set_for_other_user', 'T1098', ['UpdateLoginProfile']],
  ];

  test('every vendored Stratus Red Team detonation log has an expectation here', () => {
    const files = readdirSync(join(corpusDir, stratus)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
    expect(detonations.map(([t]) => t).sort()).toEqual(files.sort());
  });

  test.each(detonations)('Stratus Red Team detonation %s is detected by %s as %s, and only its attack calls alert', (technique, rule, attackId, attackCalls) => {
    const events = corpusEvents(`${stratus}/${technique}.json`) as Record<string, unknown>[];
    expect(packNames(events, 'cloudtrail')).toContain(rule);
    const packIds = new Set(pack.map((r) => r.ref.id));
    const alerts = events.flatMap((e) => ruleSet.match(e, 'cloudtrail').filter((r) => packIds.has(r.id) && r.level !== 'informational').map((r) => ({ event: String(e['eventName']), tags: r.tags })));
    expect(alerts.some((a) => a.tags.includes(`attack.${attackId.toLowerCase()}`))).toBe(true);
    // Setup calls recorded around the attack (AssumeRole, Describe*, waits) are benign and raise nothing.
    expect([...new Set(alerts.map((a) => a.event))].filter((name) => !attackCalls.includes(name))).toEqual([]);
  });

  test.each([
    ['anonymous_creates_namespace_foo', 'kubernetes_audit_anonymous_request_allowed'],
    ['attach_cluster_admin_role', 'kubernetes_audit_cluster_admin_binding'],
    ['attach_pod', 'kubernetes_audit_pod_attach'],
    ['create_cluster_role_pod_exec', 'kubernetes_audit_role_grants_sensitive_permissions'],
    ['create_cluster_role_wildcard_resources', 'kubernetes_audit_wildcard_role_created'],
    ['create_cluster_role_wildcard_verbs', 'kubernetes_audit_wildcard_role_created'],
    // Created by the replicaset controller from a Deployment: the pod stays visible without blaming the controller.
    ['create_nginx_pod_hostnetwork', 'kubernetes_audit_privileged_pod_created_by_controller'],
    // Created by the replicaset controller from a Deployment: the pod stays visible without blaming the controller.
    ['create_nginx_pod_no_secctx_1st_container_privileged_2nd_container', 'kubernetes_audit_privileged_pod_created_by_controller'],
    // Created by the replicaset controller from a Deployment: the pod stays visible without blaming the controller.
    ['create_nginx_pod_privileged', 'kubernetes_audit_privileged_pod_created_by_controller'],
    // Created by the replicaset controller from a Deployment: the pod stays visible without blaming the controller.
    ['create_nginx_pod_sensitive_mount', 'kubernetes_audit_privileged_pod_created_by_controller'],
    // Created by the replicaset controller from a Deployment: the pod stays visible without blaming the controller.
    ['create_nginx_pod_sensitive_mount_2nd_container', 'kubernetes_audit_privileged_pod_created_by_controller'],
    ['create_nginx_service_nodeport', 'kubernetes_audit_nodeport_service_created'],
    ['exec_pod', 'kubernetes_audit_pod_exec'],
  ])('Falco k8s audit trace %s is detected by %s', (trace, rule) => {
    expect(packNames(corpusEvents(`${falco}/${trace}.json`), 'k8s_audit')).toContain(rule);
  });

  test.each([
    'create_nginx_pod_unprivileged',
    'create_nginx_pod_nohostnetwork',
    'create_nginx_pod_unsensitive_mount',
    'create_nginx_service_nonodeport',
    'create_pod_kube_system_namespace',
    'create_service_account_token_secret',
  ])('Falco k8s audit trace %s (benign look-alike) fires no pack rule', (trace) => {
    expect(packNames(corpusEvents(`${falco}/${trace}.json`), 'k8s_audit')).toEqual([]);
  });
});
