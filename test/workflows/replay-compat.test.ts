/**
 * Correlator histories written by earlier code replay with the current code, each through its `patched` guard.
 * - Before the per-task bounds (workflows/correlator/task-budget.ts): 900 detections in three signals reach the
 *   correlator in its first workflow task, which applies them all at once, raises alerts, and later continues as new.
 *   The current code would split that task (and start a timer).
 * - Before playbook runs were keyed by target (workflows/correlator/playbook-start.ts): a user correlator's alert
 *   binds a pod quarantine, started as `playbook:quarantine:{alert id}` (recorded with main's compiled worker at
 *   35a4863, then terminated). The current code would start it as `playbook:quarantine:{tenant}:k8s.pod:shop/web-1`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { dataConverter } from '../../src/temporal/data-converter';
import { payloadConverter } from '../../src/temporal/payload-converter';
import type { CorrelatorInput } from '../../src/contracts/correlator/input';
import type { DetectionBatch } from '../../src/contracts/correlator/messages';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import { MAX_DETECTIONS_PER_TASK } from '../../workflows/correlator/task-budget';
import { vigilWorkflowBundle } from '../helpers/workflow-bundles';

const load = (name: string) => temporal.api.history.v1.History.fromObject(JSON.parse(gunzipSync(readFileSync(path.join(__dirname, 'fixtures', name))).toString('utf8')));
const history = load('correlator-unbounded-task.history.json.gz');
const startsPlaybook = load('correlator-starts-playbook.history.json.gz');

test('the fixture is what it claims: one task applied more detections than a task may now take, then continue-as-new', () => {
  const events = history.events;
  const firstCompleted = events.findIndex((e) => e.workflowTaskCompletedEventAttributes);
  const inFirstTask = events
    .slice(0, firstCompleted)
    .filter((e) => e.workflowExecutionSignaledEventAttributes)
    .map((e) => payloadConverter.fromPayload<DetectionBatch>(e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!).detections.length);
  expect(inFirstTask.reduce((a, b) => a + b, 0)).toBeGreaterThan(MAX_DETECTIONS_PER_TASK);
  expect(events[events.length - 1]!.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
});

test('a history from before the task bounds replays deterministically with the current code', async () => {
  const bundle = await vigilWorkflowBundle();
  await expect(Worker.runReplayHistory({ workflowBundle: bundle, dataConverter }, history, 'entity:fixture:host:web-1')).resolves.toBeUndefined();
});

test('a history from before playbook runs were keyed by target started its playbook under the alert id, and replays', async () => {
  const started = startsPlaybook.events.flatMap((e) => (e.startChildWorkflowExecutionInitiatedEventAttributes ? [e.startChildWorkflowExecutionInitiatedEventAttributes.workflowId] : []));
  expect(started).toEqual([expect.stringMatching(/^playbook:quarantine:alrt-[0-9a-f]{16}$/)]);
  // Alert ids derive from the correlator's workflow id: replay under the recorded one.
  const input = payloadConverter.fromPayload<CorrelatorInput>(startsPlaybook.events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!);
  const bundle = await vigilWorkflowBundle();
  await expect(Worker.runReplayHistory({ workflowBundle: bundle, dataConverter }, startsPlaybook, correlatorWorkflowId(input.tenant, input.entity))).resolves.toBeUndefined();
});
