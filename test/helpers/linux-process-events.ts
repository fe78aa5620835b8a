/**
 * One Linux process start as each collector records it, for pipeline and field-reading tests: auditd log lines
 * (log_format=ENRICHED: SYSCALL, EXECVE, CWD, PATH, PROCTITLE, EOE) decoded by the real decoder, and a Falco
 * json_output alert about an execve.
 */
import { basename } from 'node:path';
import { AuditdDecoder } from '../../src/collect/auditd-decoder';

const hex = (s: string) => Buffer.from(s).toString('hex').toUpperCase();
/** auditd writes an argument hex-encoded when it holds a space, a double quote or a non-printable byte. */
const auditArg = (a: string) => (/[^\x21-\x7e]|"/.test(a) ? hex(a) : `"${a}"`);

/** The records of one execve; `serial` tells audit events apart, `seconds` is their time. */
export function auditExecLines(argv: string[], exe: string, serial = 7001, seconds = '1764576185.312'): string[] {
  const msg = `msg=audit(${seconds}:${serial}):`;
  return [
    `type=SYSCALL ${msg} arch=c000003e syscall=59 success=yes exit=0 a0=55d0c3b2a2b0 a1=55d0c3b2a2f0 a2=55d0c3b2a310 a3=8 items=2 ppid=4120 pid=4188 auid=1000 uid=0 gid=0 euid=0 tty=pts1 ses=7 comm="${basename(exe)}" exe="${exe}" key="exec"\x1dARCH=x86_64 SYSCALL=execve AUID="alice" UID="root" GID="root"`,
    `type=EXECVE ${msg} argc=${argv.length} ${argv.map((a, i) => `a${i}=${auditArg(a)}`).join(' ')}`,
    `type=CWD ${msg} cwd="/root"`,
    `type=PATH ${msg} item=0 name="${exe}" inode=1234 dev=ca:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL`,
    `type=PROCTITLE ${msg} proctitle=${hex(argv.join('\0'))}`,
    `type=EOE ${msg}`,
  ];
}

/** Audit log lines → linux/auditd events, one per record, as the collector publishes them. */
export function decodeAudit(lines: string[], hostname = 'web-01'): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  const decoder = new AuditdDecoder({ file: 'audit.log', hostname }, { record: (e) => events.push(e), issue: (e) => { throw e; } });
  lines.forEach((l, i) => decoder.line(l, i + 1));
  decoder.flush();
  return events;
}

/** A Falco alert about an execve (output_fields as Falco's json_output writes them: literal dotted keys); `alert` overrides the top level. */
export function falcoExecAlert(fields: Record<string, unknown>, alert: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    hostname: 'web-01', output: 'A process was started', priority: 'Warning', rule: 'Process started', source: 'syscall', time: '2026-12-01T08:03:05.312000000Z',
    ...alert,
    output_fields: { 'evt.type': 'execve', 'k8s.pod.name': null, ...fields },
  };
}
