/**
 * Edge collector throughput, one thread: audit log decoding (lines/s, execve events of 7 records as
 * auditd writes them), NDJSON k8s audit decoding with shape checks (events/s, the Falco traces
 * replayed), publishing through CollectorOutput to the in-process broker until every batch is
 * acknowledged (events/s), edge-rule filtering cost (events/s with Vigil's Kubernetes rules), the
 * spill directory's write and read-back rate (events/s, 500-event batches, the outage path), and the
 * cost of one full /proc scan (the procfs poller's baseline). Figures are `collect.*`; `--quick` decodes a tenth.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Logger } from 'pino';
import { AuditdDecoder } from '../collect/auditd-decoder';
import { CollectorOutput } from '../collect/collector-output';
import { EdgeFilter } from '../collect/edge-filter';
import { JsonLineDecoder } from '../collect/json-records';
import { ProcfsPoller } from '../collect/procfs-poller';
import type { RecordSink } from '../collect/record-sink';
import { SpillQueue } from '../collect/spill-queue';
import { brokerIdentities, collectorUsername } from '../mqtt/broker-policy';
import { generateCredentials, loginAs } from '../mqtt/broker-credentials';
import { startEmbeddedBroker } from '../mqtt/embedded-broker';
import { projectRoot } from '../project-root';
import { benchFigure, type BenchFigure, type BenchOptions } from './support/bench-figure';

const traces = join(projectRoot, 'test', 'corpus', 'falco-k8s-audit', 'test', 'trace_files', 'k8s_audit');

function auditLines(events: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < events; i++) {
    const stamp = `audit(1764144185.${String(i % 1000).padStart(3, '0')}:${i})`;
    lines.push(
      `type=SYSCALL msg=${stamp}: arch=c000003e syscall=59 success=yes exit=0 a0=55d0c3b2a2b0 a1=55d0c3b2a2f0 a2=55d0c3b2a310 a3=8 items=2 ppid=4120 pid=${4000 + (i % 5000)} auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts1 ses=7 comm="chmod" exe="/usr/bin/chmod" key="exec"\x1dARCH=x86_64 SYSCALL=execve AUID="alice" UID="root"`,
      `type=EXECVE msg=${stamp}: argc=3 a0="chmod" a1="777" a2=2F746D702F6D7920736372697074`,
      `type=CWD msg=${stamp}: cwd="/home/alice"`,
      `type=PATH msg=${stamp}: item=0 name="/usr/bin/chmod" inode=1234 dev=ca:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL`,
      `type=PATH msg=${stamp}: item=1 name="/lib64/ld-linux-x86-64.so.2" inode=99 dev=ca:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL`,
      `type=PROCTITLE msg=${stamp}: proctitle=63686D6F6400373737002F746D702F6D7920736372697074`,
      `type=EOE msg=${stamp}:`,
    );
  }
  return lines;
}

function perSecond(count: number, startedNs: bigint): number {
  return Math.round(count / (Number(process.hrtime.bigint() - startedNs) / 1e9));
}

function counting(): RecordSink & { records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  return { records, record: (r) => records.push(r), issue: () => undefined };
}

export async function run(logger: Logger, options: BenchOptions): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const fig = (name: string, value: number, unit: string, load: string): void => void figures.push(benchFigure(`collect.${name}`, value, unit, load));
  const scale = options.quick ? 10 : 1;

  const lines = auditLines(50_000 / scale);
  const auditLoad = `${lines.length} audit log lines (execve events of 7 records), one thread`;
  const auditSink = counting();
  const auditd = new AuditdDecoder({ file: 'bench', hostname: 'bench' }, auditSink);
  let t = process.hrtime.bigint();
  lines.forEach((l, i) => auditd.line(l, i + 1));
  auditd.flush();
  fig('auditd_lines_per_sec', perSecond(lines.length, t), 'lines/s', auditLoad);
  fig('auditd_events_per_sec', perSecond(auditSink.records.length, t), 'events/s', auditLoad);

  const traceLines = readdirSync(traces).filter((f) => f.endsWith('.json')).sort().map((f) => readFileSync(join(traces, f), 'utf8').trim());
  const ndjson = Array.from({ length: 100_000 / scale }, (_, i) => traceLines[i % traceLines.length]!);
  const k8sLoad = `${ndjson.length} k8s audit events (Falco traces replayed), one thread`;
  const jsonSink = counting();
  const decoder = new JsonLineDecoder('bench', 'k8s_audit', jsonSink);
  t = process.hrtime.bigint();
  ndjson.forEach((l, i) => decoder.line(l, i + 1));
  fig('k8s_ndjson_events_per_sec', perSecond(ndjson.length, t), 'events/s', `${k8sLoad}, NDJSON decoding with shape checks`);

  const edge = await EdgeFilter.load(join(projectRoot, 'rules', 'sigma', 'kubernetes'), 'k8s_audit', logger);
  t = process.hrtime.bigint();
  let kept = 0;
  for (const r of jsonSink.records) if (edge.keeps(r)) kept += 1;
  const edgeLoad = `${k8sLoad}, edge filter with Vigil's Kubernetes rules`;
  fig('k8s_edge_filter_events_per_sec', perSecond(jsonSink.records.length, t), 'events/s', edgeLoad);
  fig('k8s_edge_filter_kept_fraction', Math.round((kept / jsonSink.records.length) * 1000) / 1000, 'fraction', edgeLoad);

  const credentials = generateCredentials(brokerIdentities(['bench']));
  const broker = await startEmbeddedBroker({ port: 0, credentials, logger });
  const client = await mqtt.connectAsync(broker.url, loginAs(credentials, collectorUsername('bench')));
  try {
    const output = new CollectorOutput(client, { tenant: 'bench', source: 'k8s_audit', collector: 'bench' }, logger);
    t = process.hrtime.bigint();
    for (const r of jsonSink.records) output.emit(r);
    await output.flush();
    fig('k8s_publish_acked_events_per_sec', perSecond(jsonSink.records.length, t), 'events/s', `${k8sLoad}, published to the in-process broker until every batch is acknowledged`);
    output.close();
  } finally {
    await client.endAsync();
    await broker.close();
  }

  const spill = new SpillQueue(mkdtempSync(join(tmpdir(), 'vigil-bench-spill-')), 1 << 30, logger);
  const raw = jsonSink.records.map((data, i) => ({ id: `e${i}`, time: i, data }));
  t = process.hrtime.bigint();
  for (let i = 0; i < raw.length; i += 500) spill.push(raw.slice(i, i + 500));
  const spillLoad = `${raw.length} k8s audit events in batches of 500, spill directory`;
  fig('spill_write_events_per_sec', perSecond(raw.length, t), 'events/s', spillLoad);
  t = process.hrtime.bigint();
  while (!spill.isEmpty) {
    const read = spill.shift();
    if ('release' in read) read.release();
  }
  fig('spill_read_events_per_sec', perSecond(raw.length, t), 'events/s', spillLoad);

  const poller = new ProcfsPoller({ hostname: 'bench', emit: () => undefined, logger });
  t = process.hrtime.bigint();
  await poller.baseline();
  const processes = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
  fig('procfs_full_scan_ms', Number(process.hrtime.bigint() - t) / 1e6, 'ms', `one full /proc scan of this machine (${processes} processes now)`);
  return figures;
}
