/**
 * Audit log lines → linux/auditd events. The kernel writes one audit event as several records
 * (SYSCALL, EXECVE, CWD, PATH..., PROCTITLE, then EOE) sharing msg=audit(time:serial). SigmaHQ auditd
 * rules select on one record's `type` (`type: EXECVE` + `a0`, `type: SYSCALL` + `exe`, `type: PATH` +
 * `name`), so each record stays one event; grouping gives every record of the event the process
 * context of its SYSCALL record (exe, comm, pid, uid, syscall...) plus `cwd` and `proctitle`, so a
 * PATH rule can filter on the writing program. `key` and the syscall's raw arguments a0..a3 stay on
 * the SYSCALL record only: a rule selecting only on `key` fires once per audit event, and EXECVE's
 * a0..aN keep meaning argv.
 */
import { VigilError, type ErrorCode } from '../error-codes';
import { parseAuditLine, type AuditRecord } from './auditd-record';
import type { LineDecoder, RecordSink } from './record-sink';

/** SYSCALL fields that describe the call itself rather than the process: not copied to sibling records. */
const callOnly = new Set(['type', 'msg', 'key', 'items']);
const syscallArgument = /^a\d+$/;

export interface AuditdDecoderOptions {
  file: string;
  /** Host name for records without node= (auditd's name_format=none, the default). */
  hostname: string;
  /** Events still waiting for their EOE beyond this many are completed oldest first (bounded memory). */
  maxOpenEvents?: number;
  /** Code of the issues reported for lines that are not audit records (default VGL_COLLECT_INPUT). */
  code?: ErrorCode;
}

export class AuditdDecoder implements LineDecoder {
  /** Open audit events by node + serial, oldest first (Map keeps insertion order). */
  private readonly open = new Map<string, AuditRecord[]>();
  private readonly maxOpen: number;

  constructor(
    private readonly options: AuditdDecoderOptions,
    private readonly sink: RecordSink,
  ) {
    this.maxOpen = options.maxOpenEvents ?? 64;
  }

  line(text: string, lineNumber: number): void {
    if (text.trim() === '') return;
    const record = parseAuditLine(text);
    if (!record) {
      this.sink.issue(new VigilError(this.options.code ?? 'VGL_COLLECT_INPUT', 'not an audit record (expected type=TYPE msg=audit(SECONDS:SERIAL): key=value ...)', { file: this.options.file, line: lineNumber }));
      return;
    }
    const key = `${record.node ?? ''}|${record.seconds}:${record.serial}`;
    if (record.type === 'EOE') {
      this.complete(key);
      return;
    }
    const records = this.open.get(key);
    if (records) records.push(record);
    else this.open.set(key, [record]);
    while (this.open.size > this.maxOpen) this.complete(this.open.keys().next().value!);
  }

  /** Completes every open event (end of input, or the followed file went quiet: auditd writes an event at once). */
  flush(): void {
    for (const key of [...this.open.keys()]) this.complete(key);
  }

  private complete(key: string): void {
    const records = this.open.get(key);
    if (!records) return;
    this.open.delete(key);
    const context: Record<string, string> = {};
    for (const r of records) {
      if (r.type === 'SYSCALL') {
        for (const [k, v] of Object.entries(r.fields)) if (!callOnly.has(k) && !syscallArgument.test(k)) context[k] = v;
      } else if (r.type === 'CWD' && r.fields['cwd'] !== undefined) context['cwd'] = r.fields['cwd'];
      else if (r.type === 'PROCTITLE' && r.fields['proctitle'] !== undefined) context['proctitle'] = r.fields['proctitle'];
    }
    for (const r of records) {
      const ms = Math.round(Number(r.seconds) * 1000);
      const data: Record<string, unknown> = {
        type: r.type,
        msg: `audit(${r.seconds}:${r.serial})`,
        timestamp: new Date(ms).toISOString(),
        hostname: r.node ?? this.options.hostname,
      };
      for (const [k, v] of Object.entries(r.fields)) if (!(k in data)) data[k] = v;
      for (const [k, v] of Object.entries(context)) if (!(k in data)) data[k] = v;
      this.sink.record(data);
    }
  }
}
