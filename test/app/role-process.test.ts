/**
 * A stack role as a child process (src/app/role-process.ts), with the real CLI and the run's Temporal dev server:
 * the parent learns the child is ready over IPC, re-logs the child's JSON records in its own logger tagged with the
 * role, turns a child that dies into VGL_STACK_PROCESS_EXITED naming it, and a child that cannot start into the same
 * error with its own message re-logged.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startRoleProcess } from '../../src/app/role-process';
import { VigilError } from '../../src/error-codes';
import { eventually, sharedTemporalAddress, uniqueTenant } from '../helpers/shared-servers';
import { processAlive } from '../helpers/vigil-process';

jest.setTimeout(120_000);

function capturingLogger(): { logger: pino.Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) records.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), records };
}

test('a worker child: ready over IPC with its own pid, its logs re-logged tagged, killed = VGL_STACK_PROCESS_EXITED naming it', async () => {
  const { logger, records } = capturingLogger();
  const env = { ...process.env, TEMPORAL_ADDRESS: sharedTemporalAddress(), VIGIL_TENANTS: uniqueTenant('roleproc'), VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-role-')), LOG_LEVEL: 'info' };
  const worker = await startRoleProcess({ role: 'worker', args: ['worker'], env, logger });
  expect(worker.ready.role).toBe('worker');
  expect(worker.pid).toBe(worker.ready.pid);
  expect(worker.pid).not.toBe(process.pid);
  expect(processAlive(worker.pid)).toBe(true);
  // The child's own pino record, at its level, tagged with the role (stderr and the IPC channel are read apart: the
  // line may come after the ready message).
  const record = await eventually(async () => records.find((r) => r.msg === 'workers ready'), 'the worker\'s "workers ready" record', 30_000, 50);
  expect(record).toEqual(expect.objectContaining({ level: 30, process: 'worker' }));

  process.kill(worker.pid, 'SIGKILL');
  const error = (await worker.failed.catch((err: unknown) => err)) as VigilError;
  expect(error).toBeInstanceOf(VigilError);
  expect(error.code).toBe('VGL_STACK_PROCESS_EXITED');
  expect(error.message).toContain(`the worker process (pid ${worker.pid}) exited unexpectedly with signal SIGKILL`);
  await worker.stop(); // already gone: nothing to do
});

test('a stopped child ends with its graceful stop and is not a failure', async () => {
  const { logger } = capturingLogger();
  const env = { ...process.env, TEMPORAL_ADDRESS: sharedTemporalAddress(), VIGIL_TENANTS: uniqueTenant('roleproc'), VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-role-')), LOG_LEVEL: 'warn' };
  const worker = await startRoleProcess({ role: 'worker', args: ['worker'], env, logger });
  let failed = false;
  worker.failed.catch(() => (failed = true));
  await worker.stop();
  expect(processAlive(worker.pid)).toBe(false);
  await new Promise((resolve) => setImmediate(resolve));
  expect(failed).toBe(false);
});

test('a child that cannot start: VGL_STACK_PROCESS_EXITED with its exit code, and its own error re-logged', async () => {
  const { logger, records } = capturingLogger();
  // No TEMPORAL_ADDRESS: `vigil ingest` refuses to start (VGL_CONFIG_INVALID, exit 2).
  const env = { ...process.env, TEMPORAL_ADDRESS: '', MQTT_URL: 'mqtt://127.0.0.1:1' };
  const start = startRoleProcess({ role: 'ingest', args: ['ingest'], env, logger });
  await expect(start).rejects.toThrow(/VGL_STACK_PROCESS_EXITED: field ingest: the ingest process \(pid \d+\) ended before it was ready with exit code 2/);
  expect(records).toContainEqual(expect.objectContaining({ process: 'ingest', msg: expect.stringContaining('VGL_CONFIG_INVALID') }));
});
