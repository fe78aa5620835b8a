/**
 * The correlator's one durable timer, for its deadlines: the end of the quiet period and the firing time of an
 * absence ("A not followed by B").
 *
 * Why: `condition(fn, timeout)` starts a timer on every wait and cancels it when a batch arrives first, so each batch
 * cost two more commands and two history events (TimerStarted, TimerCanceled) for a deadline that the next batch
 * moves later anyway.
 *
 * Invariant: at most one timer is outstanding, and it fires no later than the deadline of the current wait. A
 * deadline that moves later leaves the timer as it is: it fires early, `until` finds the deadline not reached and
 * starts a timer for the rest. A timer is started only when none is outstanding or the deadline moved earlier than
 * the outstanding one (which is then cancelled). Steady traffic costs one timer per quiet period, not two events per
 * batch. Everything here is decided from workflow time and history, so replays take the same path.
 */
import { CancellationScope, condition, isCancellation, sleep } from '@temporalio/workflow';

export class WakeTimer {
  private firesAt: number | undefined;
  private scope: CancellationScope | undefined;
  private rang = false;

  /**
   * Waits until `wake()` holds (returns true) or workflow time reaches `at` (returns false). Returns at once, with no
   * timer, when `wake()` already holds; returns false only after a timer fired (never in the task it was called in,
   * as the `condition` timeout it replaces), so a caller's loop always yields.
   */
  async until(at: number, wake: () => boolean, summary: string): Promise<boolean> {
    for (;;) {
      if (wake()) return true;
      this.armBy(at, summary);
      await condition(() => wake() || this.rang);
      const rang = this.rang;
      this.rang = false;
      if (wake()) return true;
      if (rang && Date.now() >= at) return false;
    }
  }

  /** `summary` names the deadline in the Temporal UI (user metadata of the timer command: replay does not compare it). */
  private armBy(at: number, summary: string): void {
    if (this.firesAt !== undefined && this.firesAt <= at) return;
    this.scope?.cancel();
    const scope = new CancellationScope();
    this.scope = scope;
    this.firesAt = at;
    scope.run(() => sleep(Math.max(1, at - Date.now()), { summary })).then(
      () => {
        if (this.scope !== scope) return;
        this.scope = undefined;
        this.firesAt = undefined;
        this.rang = true;
      },
      (err: unknown) => {
        // Cancelled because the deadline moved earlier: a newer timer stands in for it.
        if (!isCancellation(err)) throw err;
      },
    );
  }
}
