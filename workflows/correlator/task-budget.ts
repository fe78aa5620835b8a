/**
 * What one correlator workflow task may do, so that no burst for one entity can stall or crash a worker.
 *
 * Why: the TS SDK runs each workflow activation in a vm context under `isolateExecutionTimeout` (5 s by default,
 * 30 s in Vigil's workers: src/temporal/worker.ts) with microtasks drained inside the same call. When that timeout fires while workflow code runs in a microtask
 * (all our code after the first `await`), V8 terminates it half-way and Node aborts the whole process with "async
 * hook stack has become corrupted" (nodejs/node#38503, #43135): every tenant's correlators and playbooks on that
 * worker die, and the same history replays into the same activation on restart. So the work of one activation
 * must stay far below the timeout whatever arrives, and it is bounded here by counts, never by time (workflow code
 * must decide the same on replay):
 *   - at most MAX_DETECTIONS_PER_TASK detections are taken from the queue per task;
 *   - the task stops taking more once the correlation core reports MAX_CORRELATION_WORK_PER_TASK entries read
 *     (out-of-order inputs and numeric aggregations cost more than one window step each: src/correlation);
 *   - what is left waits in the queue (carried state) and the correlator starts a new workflow task for it;
 *   - it continues-as-new only once the queue it would carry is at most MAX_CARRIED_BACKLOG_BYTES, so the
 *     continue-as-new payload (bounded state, ~1.2 MiB saturated, plus this) stays under Temporal's 2 MiB limit.
 * Measured (2 cores, load average ~10): the 10,800-detection burst of test/workflows/worker-burst.test.ts runs as
 * 22 tasks of the user's correlator, median 0.1 s each; before, one activation took ~13 s and aborted the worker.
 */

/** Detections applied in one workflow task: one router signal's worth (EntityRouter maxDetectionsPerSignal). */
export const MAX_DETECTIONS_PER_TASK = 500;

/**
 * Correlation work (window entries and groups read, src/correlation CorrelateResult.work) after which a task takes
 * no further detection. One detection is always taken, so the queue always moves; one detection's own work is
 * bounded by the core's caps (maxEventsPerGroup per window step, rules per detection).
 */
export const MAX_CORRELATION_WORK_PER_TASK = 1_000_000;

/** Queued batches carried through continue-as-new at most (payload-size bound); above it the queue is drained first. */
export const MAX_CARRIED_BACKLOG_BYTES = 512 * 1024;

/**
 * `patched()` id: histories written before these bounds processed the whole queue in one task and never paused
 * between tasks; replaying them must take the same path (test/workflows/replay-compat.test.ts).
 */
export const BOUNDED_TASKS_PATCH = 'vigil-bounded-correlator-tasks';
