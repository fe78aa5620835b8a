/**
 * Lets messages be handled concurrently, except a suspect one (it was being handled when ingest
 * crashed before): that one waits until nothing else is in progress and runs alone, so if it crashes
 * ingest again, no innocent message was in progress with it to be blamed (see AttemptLedger).
 * First come, first served: once a suspect waits, later messages wait behind it.
 */
interface Waiter {
  alone: boolean;
  enter: () => void;
}

export class IsolationGate {
  private shared = 0;
  private alone = false;
  private readonly waiting: Waiter[] = [];

  async run<T>(alone: boolean, work: () => Promise<T>): Promise<T> {
    if (this.waiting.length > 0 || !this.admits(alone)) await new Promise<void>((enter) => this.waiting.push({ alone, enter }));
    else this.take(alone);
    try {
      return await work();
    } finally {
      if (alone) this.alone = false;
      else this.shared -= 1;
      while (this.waiting.length > 0 && this.admits(this.waiting[0]!.alone)) {
        const next = this.waiting.shift()!;
        this.take(next.alone);
        next.enter();
      }
    }
  }

  private admits(alone: boolean): boolean {
    return !this.alone && (!alone || this.shared === 0);
  }

  private take(alone: boolean): void {
    if (alone) this.alone = true;
    else this.shared += 1;
  }
}
