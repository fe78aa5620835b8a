/**
 * What a stack started, to stop in reverse order: each part pushes its stop as soon as it runs, so a failure half-way
 * through start-up stops exactly what started. A stop that throws is logged and the others still run.
 */
import type { Logger } from 'pino';

export type Stopper = () => Promise<unknown>;

export class StopList {
  private readonly stops: Stopper[] = [];
  private stopped = false;

  constructor(private readonly logger: Logger) {}

  /** After stopAll (a stop requested while starting), a part that still comes up is stopped at once. */
  push(stop: Stopper): void {
    if (this.stopped) void this.run(stop);
    else this.stops.push(stop);
  }

  async stopAll(): Promise<void> {
    this.stopped = true;
    for (const stop of this.stops.splice(0).reverse()) await this.run(stop);
  }

  private async run(stop: Stopper): Promise<void> {
    try {
      await stop();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'error while stopping');
    }
  }
}
