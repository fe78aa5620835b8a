/**
 * Field mappings: the kubernetes/audit one makes SigmaHQ's pod rules fire on real audit events (Falco's recorded
 * traces); the process_creation and auditd ones give procfs, auditd and Falco process events the same field names.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceKind } from '../../src/model/source';
import { loadRuleSet, type CompiledRuleSet } from '../../src/sigma';
import { readEventFile } from '../../src/collect/event-file';
import { auditExecLines, decodeAudit, falcoExecAlert } from '../helpers/linux-process-events';
import { falcoTraces, placeholdersFile, projectRoot, sigmaHqRules } from './corpus-paths';

function writeRule(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'vigil-pipeline-')), 'rule.yml');
  writeFileSync(file, text);
  return file;
}

const privileged = 'c5cd1b20-36bb-488d-8c05-486be3d0cb97';
const hostPath = '402b955c-8fe0-4a8c-b635-622b4ac5f902';
const execInto = 'a1b0ca4e-7835-413e-8471-3ff2b8a66be6';

async function hits(trace: string): Promise<string[]> {
  const { ruleSet } = await loadRuleSet([join(sigmaHqRules, 'rules', 'application', 'kubernetes')], { placeholdersFile });
  const { events } = await readEventFile(join(falcoTraces, trace));
  return events.flatMap((e) => ruleSet.match(e, 'k8s_audit').map((r) => r.id));
}

test.each([
  ['create_nginx_pod_privileged.json', privileged, true],
  ['create_nginx_pod_privileged_2nd_container.json', privileged, true],
  ['create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json', privileged, true],
  ['create_nginx_pod_hostnetwork.json', privileged, true],
  ['create_nginx_pod_unprivileged.json', privileged, false],
  ['create_nginx_pod_nohostnetwork.json', privileged, false],
  ['create_nginx_pod_sensitive_mount.json', hostPath, true],
  ['create_nginx_pod_sensitive_mount_2nd_container.json', hostPath, true],
  ['create_nginx_pod_unprivileged.json', hostPath, false],
  ['exec_pod.json', execInto, true],
  ['create_deployment.json', execInto, false],
])('%s → rule %s fires: %s', async (trace, rule, expected) => {
  expect((await hits(trace)).includes(rule)).toBe(expected);
});

describe('one process start seen by procfs, auditd and Falco matches the same process_creation rules once each', () => {
  const sigmaHqClearSyslog = '3fcc9b35-39e4-44c0-a2ad-9e82b6902b31';
  const vigilLogsCleared = 'proc_creation_lnx_system_logs_cleared';
  const command = 'truncate -s 0 /var/log/syslog';
  const audit = (argv: string[], exe: string) => auditExecLines(argv, exe);
  const falco = (fields: Record<string, unknown>) =>
    falcoExecAlert(
      { 'proc.exepath': '/usr/bin/truncate', 'proc.cmdline': command, 'proc.pcmdline': 'bash', 'user.name': 'root', 'proc.pid': 4188, ...fields },
      { output: 'Log files were tampered', rule: 'Clear Log Activities' },
    );
  let ruleSet: CompiledRuleSet;
  const matched = (event: unknown, source: SourceKind) => ruleSet.match(event, source).map((r) => r.name ?? r.id);

  beforeAll(async () => {
    const loaded = await loadRuleSet([join(sigmaHqRules, 'rules', 'linux', 'process_creation'), join(projectRoot, 'rules')], { placeholdersFile });
    expect(loaded.errors).toEqual([]);
    ruleSet = loaded.ruleSet;
  });

  test('procfs', () => {
    const hits = matched({ Image: '/usr/bin/truncate', CommandLine: command, ParentImage: '/usr/bin/bash', User: 'root', Hostname: 'web-01', ProcessId: 4188 }, 'process');
    expect(hits).toEqual(expect.arrayContaining([sigmaHqClearSyslog, vigilLogsCleared]));
  });

  test('auditd: the EXECVE record matches, its SYSCALL, CWD, PATH and PROCTITLE siblings do not', () => {
    const events = decodeAudit(audit(['truncate', '-s', '0', '/var/log/syslog'], '/usr/bin/truncate'));
    const byType = events.map((e) => [e['type'], matched(e, 'auditd').filter((n) => n === sigmaHqClearSyslog || n === vigilLogsCleared).sort()]);
    expect(byType).toEqual([
      ['SYSCALL', []],
      ['EXECVE', [sigmaHqClearSyslog, vigilLogsCleared].sort()],
      ['CWD', []],
      ['PATH', []],
      ['PROCTITLE', []],
    ]);
    expect(decodeAudit(audit(['tail', '-f', '/var/log/syslog'], '/usr/bin/tail')).flatMap((e) => matched(e, 'auditd'))).not.toContain(vigilLogsCleared);
  });

  test('Falco: an execve alert matches; an alert about a file opened by the same process is not a process start', () => {
    expect(matched(falco({}), 'falco')).toEqual(expect.arrayContaining([sigmaHqClearSyslog, vigilLogsCleared]));
    expect(matched(falco({ 'evt.type': 'openat', 'fd.name': '/var/log/syslog' }), 'falco')).toEqual([]);
  });

  test('auditd rules may use process_creation names (Image, User) next to the raw ones', async () => {
    const { ruleSet: own, errors } = await loadRuleSet([join(projectRoot, 'rules', 'sigma', 'linux', 'auditd')]);
    expect(errors).toEqual([]);
    const pathRecord = decodeAudit(audit(['cat', '/etc/shadow'], '/usr/bin/cat')).find((e) => e['type'] === 'PATH')!;
    expect(own.match({ ...pathRecord, name: '/etc/shadow' }, 'auditd').map((r) => r.name)).toContain('lnx_auditd_credential_file_opened');
    const viaAlias = decodeAudit(audit(['cat', '/etc/shadow'], '/usr/bin/cat')).find((e) => e['type'] === 'SYSCALL')!;
    const { ruleSet: inline } = await loadRuleSet([writeRule('title: t\nid: t\nlogsource: {product: linux, service: auditd}\ndetection:\n  sel:\n    type: SYSCALL\n    Image|endswith: /cat\n    User: root\n  condition: sel\n')]);
    expect(inline.match(viaAlias, 'auditd').map((r) => r.id)).toEqual(['t']);
  });
});
