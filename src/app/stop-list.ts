/**
 * What a stack started, to stop in reverse order: each part pushes its stop as soon as it runs, so a failure half-way
 * through start-up stops exactly what started. A stop that throws is logged and the others still run.
 */
import type { Logger } from 'pino';

export type Stopper = () => Promise<unknown>;

export class StopList {
  private readonly stops: Stopper[] = [];

  constructor(private readonly logger: Logger) {}

  push(stop: Stopper): void {
    this.stops.push(stop);
  }

  async stopAll(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'error while stopping');
      }
    }
  }
}
