/**
 * One line of a Linux audit log (`/var/log/audit/audit.log`) as a record:
 *   [node=HOST ]type=SYSCALL msg=audit(1764144185.312:4312): arch=c000003e syscall=59 ... key="exec"<GS>ARCH=x86_64 SYSCALL=execve
 * Values stay strings as auditd wrote them, with auditd's encodings undone: strings the kernel could
 * not print safely are hex (unquoted, uppercase), long execve arguments are split into `aN[i]` parts,
 * user-space records nest their fields in `msg='...'`, and the ENRICHED log format (the default since
 * audit 3.0) appends interpreted fields (`SYSCALL=execve`, `AUID="alice"`) after a 0x1d separator.
 * Reference: linux kernel/audit.c audit_log_n_untrustedstring, audit userspace auparse interpretations.
 */

export interface AuditRecord {
  node: string | undefined;
  type: string;
  /** Seconds since the epoch with milliseconds, as in the msg=audit(...) stamp. */
  seconds: string;
  serial: string;
  fields: Record<string, string>;
}

const header = /(?:^|\s)(?:node=(\S+) )?type=(\S+) msg=audit\((\d+(?:\.\d+)?):(\d+)\):?\s*(.*)$/s;

/** Fields the kernel or auditd log with audit_log_untrustedstring: quoted when printable, else hex. */
const untrusted = new Set(['name', 'comm', 'exe', 'cwd', 'proctitle', 'path', 'key', 'acct', 'ocomm', 'data', 'cmd']);
const execveArg = /^a\d+$/;
const execveArgPart = /^(a\d+)\[(\d+)\]$/;
const upperHex = /^(?:[0-9A-F]{2})+$/;

/** Splits `k=v k="v w" k='nested' bare` into pairs; a bare word continues the previous unquoted value (`op=adding user`). */
function tokenize(text: string): Array<[string, string, 'plain' | 'double' | 'single']> {
  const out: Array<[string, string, 'plain' | 'double' | 'single']> = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ') i++;
    if (i >= text.length) break;
    const eq = text.indexOf('=', i);
    const space = text.indexOf(' ', i);
    if (eq === -1 || (space !== -1 && space < eq)) {
      const end = space === -1 ? text.length : space;
      const last = out[out.length - 1];
      if (last && last[2] === 'plain') last[1] += ` ${text.slice(i, end)}`;
      i = end;
      continue;
    }
    const key = text.slice(i, eq);
    const quote = text[eq + 1];
    if (quote === '"' || quote === "'") {
      const close = text.indexOf(quote, eq + 2);
      const end = close === -1 ? text.length : close;
      out.push([key, text.slice(eq + 2, end), quote === '"' ? 'double' : 'single']);
      i = end + 1;
    } else {
      const end = space === -1 ? text.length : space;
      out.push([key, text.slice(eq + 1, end), 'plain']);
      i = end;
    }
  }
  return out;
}

function decodeHex(hex: string): string {
  // Arguments and proctitle separate words with NUL; a space reads as the command line did.
  return Buffer.from(hex, 'hex').toString('utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
}

function addFields(fields: Record<string, string>, text: string, type: string, argParts: Map<string, string[]>): void {
  for (const [key, raw, quoting] of tokenize(text)) {
    if (quoting === 'single') {
      addFields(fields, raw, type, argParts); // user-space record: msg='op=... exe="..." res=success'
      continue;
    }
    const part = type === 'EXECVE' ? execveArgPart.exec(key) : null;
    if (part) {
      const parts = argParts.get(part[1]!) ?? [];
      parts[Number(part[2])] = raw;
      argParts.set(part[1]!, parts);
      continue;
    }
    if (quoting === 'plain' && raw === '(null)') continue;
    const encoded = quoting === 'plain' && (untrusted.has(key) || (type === 'EXECVE' && execveArg.test(key))) && upperHex.test(raw);
    if (fields[key] === undefined) fields[key] = encoded ? decodeHex(raw) : raw;
  }
}

/** Parses one audit log line; undefined when the line is not an audit record. */
export function parseAuditLine(line: string): AuditRecord | undefined {
  const separator = line.indexOf('\x1d');
  const raw = separator === -1 ? line : line.slice(0, separator);
  const m = header.exec(raw);
  if (!m) return undefined;
  const type = m[2]!;
  const fields: Record<string, string> = {};
  const argParts = new Map<string, string[]>();
  addFields(fields, m[5]!, type, argParts);
  for (const [arg, parts] of argParts) {
    const joined = parts.join('');
    fields[arg] = upperHex.test(joined) ? decodeHex(joined) : joined;
  }
  if (separator !== -1) {
    for (const [key, value] of tokenize(line.slice(separator + 1))) if (!(key in fields)) fields[key] = value;
  }
  return { node: m[1], type, seconds: m[3]!, serial: m[4]!, fields };
}
