/**
 * Correlator histories written before the per-task bounds (workflows/correlator/task-budget.ts) replay with the
 * current code. The fixture was recorded with that earlier code: 900 detections in three signals reach the
 * correlator in its first workflow task, which applies them all at once, raises alerts, and later continues as new.
 * The current code would split that task (and start a timer), so replaying it relies on the `patched` guard.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { dataConverter } from '../../src/temporal/data-converter';
import { payloadConverter } from '../../src/temporal/payload-converter';
import type { DetectionBatch } from '../../src/contracts/correlator/messages';
import { MAX_DETECTIONS_PER_TASK } from '../../workflows/correlator/task-budget';
import { vigilWorkflowBundle } from '../helpers/workflow-bundles';

const fixture = path.join(__dirname, 'fixtures', 'correlator-unbounded-task.history.json.gz');
const history = temporal.api.history.v1.History.fromObject(JSON.parse(gunzipSync(readFileSync(fixture)).toString('utf8')));

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
