import path from 'node:path';
import { VigilError } from '../../src/error-codes';
import { AuditdDecoder } from '../../src/collect/auditd-decoder';
import { parseAuditLine } from '../../src/collect/auditd-record';
import { projectRoot } from '../../src/project-root';
import { loadRuleSet } from '../../src/sigma';

const GS = '\x1d';

/** One execve as auditd (log_format=ENRICHED) writes it: SYSCALL, EXECVE, CWD, 2 PATH, PROCTITLE, EOE. */
const execChmod = [
  `type=SYSCALL msg=audit(1764144185.312:4312): arch=c000003e syscall=59 success=yes exit=0 a0=55d0c3b2a2b0 a1=55d0c3b2a2f0 a2=55d0c3b2a310 a3=8 items=2 ppid=4120 pid=4188 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts1 ses=7 comm="chmod" exe="/usr/bin/chmod" subj=unconfined key="exec"${GS}ARCH=x86_64 SYSCALL=execve AUID="alice" UID="root" GID="root"`,
  'type=EXECVE msg=audit(1764144185.312:4312): argc=3 a0="chmod" a1="777" a2=2F746D702F6D7920736372697074',
  'type=CWD msg=audit(1764144185.312:4312): cwd="/home/alice"',
  'type=PATH msg=audit(1764144185.312:4312): item=0 name="/usr/bin/chmod" inode=1234 dev=ca:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL',
  'type=PATH msg=audit(1764144185.312:4312): item=1 name="/lib64/ld-linux-x86-64.so.2" inode=99 dev=ca:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL',
  'type=PROCTITLE msg=audit(1764144185.312:4312): proctitle=63686D6F6400373737002F746D702F6D7920736372697074',
  'type=EOE msg=audit(1764144185.312:4312):',
];

function decode(lines: string[], hostname = 'web-01'): { events: Record<string, unknown>[]; issues: VigilError[] } {
  const events: Record<string, unknown>[] = [];
  const issues: VigilError[] = [];
  const decoder = new AuditdDecoder({ file: 'audit.log', hostname }, { record: (e) => events.push(e), issue: (i) => issues.push(i) });
  lines.forEach((l, i) => decoder.line(l, i + 1));
  decoder.flush();
  return { events, issues };
}

describe('audit log line', () => {
  test('quoted values, hex-encoded arguments and the ENRICHED part', () => {
    const r = parseAuditLine(execChmod[0]!)!;
    expect(r).toMatchObject({ node: undefined, type: 'SYSCALL', seconds: '1764144185.312', serial: '4312' });
    expect(r.fields).toMatchObject({ syscall: '59', a0: '55d0c3b2a2b0', comm: 'chmod', exe: '/usr/bin/chmod', key: 'exec', SYSCALL: 'execve', AUID: 'alice' });
    expect(parseAuditLine(execChmod[1]!)!.fields).toEqual({ argc: '3', a0: 'chmod', a1: '777', a2: '/tmp/my script' });
    expect(parseAuditLine(execChmod[5]!)!.fields['proctitle']).toBe('chmod 777 /tmp/my script');
  });

  test('long execve arguments split into aN[i] parts are joined', () => {
    const r = parseAuditLine('type=EXECVE msg=audit(1.5:9): argc=2 a0="sh" a1_len=10 a1[0]=2F746D70 a1[1]=2F782E7368')!;
    expect(r.fields['a1']).toBe('/tmp/x.sh');
    expect(r.fields['a1_len']).toBe('10');
  });

  test('user-space records: nested msg fields, node= prefix, words after an unquoted value, (null)', () => {
    const r = parseAuditLine(
      "node=db-02 type=ADD_USER msg=audit(1764144190.001:77): pid=900 uid=0 auid=1000 ses=3 msg='op=adding user id=1001 exe=\"/usr/sbin/useradd\" hostname=? addr=? terminal=pts/0 res=success' key=(null)",
    )!;
    expect(r.node).toBe('db-02');
    expect(r.type).toBe('ADD_USER');
    expect(r.fields).toMatchObject({ pid: '900', op: 'adding user', id: '1001', exe: '/usr/sbin/useradd', res: 'success' });
    expect(r.fields).not.toHaveProperty('key');
  });

  test.each(['', 'hello world', 'type=SYSCALL arch=c000003e', '{"type":"SYSCALL"}'])('not an audit record: %j', (line) => {
    expect(parseAuditLine(line)).toBeUndefined();
  });
});

describe('audit events from grouped records', () => {
  test('each record is an event; siblings get the SYSCALL process context, cwd and proctitle, but not key or syscall arguments', () => {
    const { events, issues } = decode(execChmod);
    expect(issues).toEqual([]);
    expect(events.map((e) => e['type'])).toEqual(['SYSCALL', 'EXECVE', 'CWD', 'PATH', 'PATH', 'PROCTITLE']);
    const [syscall, execve, , path0] = events;
    expect(syscall).toMatchObject({ key: 'exec', a0: '55d0c3b2a2b0', cwd: '/home/alice', hostname: 'web-01', timestamp: '2025-11-26T08:03:05.312Z', msg: 'audit(1764144185.312:4312)' });
    expect(execve).toMatchObject({ a0: 'chmod', a1: '777', a2: '/tmp/my script', exe: '/usr/bin/chmod', comm: 'chmod', uid: '0', auid: '1000', SYSCALL: 'execve', proctitle: 'chmod 777 /tmp/my script' });
    expect(execve).not.toHaveProperty('key');
    expect(path0).toMatchObject({ name: '/usr/bin/chmod', item: '0', exe: '/usr/bin/chmod' });
    expect(path0).not.toHaveProperty('a0');
  });

  test('interleaved events are grouped by serial; an event without EOE completes at end of input; node= names the host', () => {
    const { events } = decode([
      'node=h1 type=SYSCALL msg=audit(10.000:1): syscall=2 comm="cat" exe="/usr/bin/cat" key="shadow"',
      'node=h1 type=USER_LOGIN msg=audit(10.001:2): pid=5 uid=0 msg=\'op=login acct="bob" res=failed\'',
      'node=h1 type=PATH msg=audit(10.000:1): item=0 name="/etc/shadow" nametype=NORMAL',
    ]);
    expect(events).toHaveLength(3);
    const path = events.find((e) => e['type'] === 'PATH')!;
    expect(path).toMatchObject({ hostname: 'h1', exe: '/usr/bin/cat', name: '/etc/shadow' });
    expect(events.find((e) => e['type'] === 'USER_LOGIN')).toMatchObject({ acct: 'bob', res: 'failed' });
  });

  test('a garbled line is reported with file:line and decoding goes on', () => {
    const { events, issues } = decode(['garbage ~~~', ...execChmod]);
    expect(events).toHaveLength(6);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.code).toBe('VGL_COLLECT_INPUT');
    expect(issues[0]!.location).toEqual({ file: 'audit.log', line: 1 });
  });

  test('open events beyond the bound complete oldest first (memory stays bounded without EOE)', () => {
    const events: Record<string, unknown>[] = [];
    const decoder = new AuditdDecoder({ file: 'a', hostname: 'h', maxOpenEvents: 2 }, { record: (e) => events.push(e), issue: () => undefined });
    for (let i = 1; i <= 5; i++) decoder.line(`type=SYSCALL msg=audit(1.0:${i}): syscall=1`, i);
    expect(events.map((e) => e['msg'])).toEqual(['audit(1.0:1)', 'audit(1.0:2)', 'audit(1.0:3)']);
  });

  test('decoded events fire SigmaHQ auditd rules unchanged and Vigil\'s own auditd rules', async () => {
    const sigmahq = path.join(projectRoot, 'test', 'corpus', 'sigmahq', 'rules', 'linux', 'auditd');
    const { ruleSet, errors } = await loadRuleSet([sigmahq, path.join(projectRoot, 'rules', 'sigma', 'linux', 'auditd')]);
    expect(errors).toEqual([]);
    const titles = (lines: string[]): string[] => decode(lines).events.flatMap((e) => ruleSet.match(e, 'auditd').map((r) => r.title));
    // SigmaHQ "Suspicious Commands Linux": type EXECVE, a0 chmod, a1 777
    expect(titles(execChmod)).toContain('Suspicious Commands Linux');
    // SigmaHQ "Webshell Remote Command Execution": SYSCALL (ENRICHED name) execve by euid 33
    const webRce = titles([`type=SYSCALL msg=audit(5.0:1): arch=c000003e syscall=59 success=yes euid=33 comm="sh" exe="/bin/dash" key="detect_execve_www"${GS}SYSCALL=execve`]);
    expect(webRce.some((t) => /web ?shell/i.test(t))).toBe(true);
    // Vigil's ld.so.preload rule filters on the writing program, which only the SYSCALL sibling knows
    const preload = (exe: string): string[] =>
      titles([
        `type=SYSCALL msg=audit(6.0:2): syscall=257 success=yes comm="x" exe="${exe}" key="preload"`,
        'type=PATH msg=audit(6.0:2): item=1 name="/etc/ld.so.preload" nametype=CREATE',
        'type=EOE msg=audit(6.0:2):',
      ]);
    expect(preload('/tmp/.x/dropper')).toContain('ld.so.preload or sudoers Created, Replaced or Deleted');
    expect(preload('/usr/bin/dpkg')).not.toContain('ld.so.preload or sudoers Created, Replaced or Deleted');
  });
});
