/**
 * `vigil rules eval` as a Unix filter, through the built CLI and real pipes: a reader that closes its
 * end (`| head -1`) ends it quietly with exit 0, and an input larger than memory (a generated 1 GiB
 * NDJSON stream, gzip-compressed) is evaluated in bounded memory (peak RSS read from /proc).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { projectRoot } from '../../src/project-root';
import { vigilMain } from '../helpers/vigil-process';

const rule = `title: trail deleted\nid: r1\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    eventName: DeleteTrail\n  condition: sel\nlevel: high\n`;

function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-eval-io-'));
  writeFileSync(join(dir, 'rule.yml'), rule);
  return dir;
}

/** A CloudTrail-like record of about `pad` + 300 bytes; `DeleteTrail` when `hit`. */
function record(i: number, hit: boolean, pad: string): string {
  return `{"eventVersion":"1.08","eventID":"ev-${i}","eventTime":"2024-07-31T12:46:41Z","eventSource":"cloudtrail.amazonaws.com","eventName":"${hit ? 'DeleteTrail' : 'DescribeTrails'}","awsRegion":"us-east-1","sourceIPAddress":"10.0.${i % 250}.${i % 199}","userAgent":"aws-cli/2.15.0","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/u${i % 97}"},"requestParameters":{"name":"trail-${i % 13}","padding":"${pad}"}}\n`;
}

/** Peak resident memory of a running process (VmHWM), in MiB; 0 once it is gone. */
function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

test('a reader closing the pipe (| head -1) ends eval early with exit 0 and no stack trace', () => {
  const dir = workDir();
  try {
    const events = join(dir, 'events.ndjson');
    const pad = 'x'.repeat(100);
    const lines: string[] = [];
    for (let i = 0; i < 150_000; i++) lines.push(record(i, true, pad));
    writeFileSync(events, lines.join(''));
    const r = spawnSync('bash', ['-c', `"$0" "$1" rules eval --rules "$2" --events "$3" --source cloudtrail | head -1; echo "vigil exit \${PIPESTATUS[0]}" >&2`, process.execPath, vigilMain, dir, events], {
      cwd: projectRoot,
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'info' },
      timeout: 120_000,
    });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'detection', rule: { id: 'r1' }, event: { index: 0, id: 'ev-0' } });
    expect(r.stderr).toContain('vigil exit 0');
    expect(r.stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
    // It stopped reading once nobody listened: far less than the input was read.
    const done = r.stderr.split('\n').filter((l) => l.includes('rules eval done')).map((l) => JSON.parse(l) as { bytesRead: number });
    expect(done).toHaveLength(1);
    expect(done[0]!.bytesRead).toBeLessThan(statSync(events).size / 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a generated 1 GiB NDJSON stream (gzip) is evaluated in bounded memory', async () => {
  const dir = workDir();
  try {
    const events = join(dir, 'events.ndjson.gz');
    const pad = 'p'.repeat(700);
    const every = 10_000;
    let total = 0;
    let bytes = 0;
    const out = createWriteStream(events);
    const gzip = createGzip({ level: 1 });
    gzip.pipe(out);
    while (bytes < 2 ** 30) {
      const line = record(total, total % every === 0, pad);
      bytes += line.length;
      total += 1;
      if (!gzip.write(line)) await once(gzip, 'drain');
    }
    gzip.end();
    await once(out, 'finish');

    const child = spawn(process.execPath, [vigilMain, 'rules', 'eval', '--rules', dir, '--events', events, '--source', 'cloudtrail'], {
      cwd: projectRoot,
      env: { ...process.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, peakRssMb(child.pid!))), 100);
    const [status] = (await once(child, 'close')) as [number | null];
    clearInterval(poll);

    expect(status).toBe(0);
    const hits = stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: { index: number; id: string } });
    expect(hits.length).toBe(Math.ceil(total / every));
    expect(hits.every((h) => h.event.index % every === 0 && h.event.id === `ev-${h.event.index}`)).toBe(true);
    const summary = JSON.parse(stderr.split('\n').find((l) => l.includes('rules eval done'))!) as { events: number; peakRssMb: number };
    expect(summary.events).toBe(total);
    // The decompressed input is twice V8's largest string: read whole, it could not even be held.
    expect(peak).toBeGreaterThan(0);
    expect(Math.max(peak, summary.peakRssMb)).toBeLessThan(300);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 900_000);
