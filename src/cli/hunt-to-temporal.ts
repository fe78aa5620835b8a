/**
 * `vigil hunt --to-temporal`: a hunt's detection hits go to the live entity correlators through ingest's own
 * signal path (DetectionBuilder, then EntityRouter's signal-with-start on the tenant's task queue), marked
 * `origin: 'hunt'` with the hunt's id, so a new rule's history shows in entity timelines as hunt rows. What
 * a correlator does with them (never a playbook or a notification) is its rule: workflows/correlator/correlator.ts
 * HUNT_RESULTS_PATCH. Tenant scoping: every detection is built for, and sent to, the one tenant hunted.
 *
 * Sending overlaps with the scan: at most MAX_UNSETTLED events' detections are waiting for Temporal to accept
 * them; the scan waits (`ready`) beyond that, as ingest waits for its acknowledgements.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { detectionBuilderFor, entityMappingOf } from '../app/rule-runtime';
import { VigilError } from '../error-codes';
import type { ArchivedEvent } from '../ingest/archive/archive-scan';
import { writerId } from '../ingest/archive/archive-keys';
import type { DetectionBuilder } from '../ingest/detection-builder';
import { EntityRouter } from '../ingest/entity-router';
import type { RuleRef } from '../model/detection';
import type { CompiledRuleSet } from '../sigma';

/** Events whose detections may wait for Temporal at once before the scan pauses. */
const MAX_UNSETTLED = 2_000;

export interface HuntSendStats {
  readonly huntId: string;
  /** Events with hits sent (each to every entity it concerns). */
  events: number;
  signals: number;
}

export class HuntSender {
  readonly stats: HuntSendStats;
  private readonly builder: DetectionBuilder;
  private readonly router: EntityRouter;
  private readonly unsettled = new Set<Promise<void>>();
  private failure: unknown;

  constructor(
    client: Client,
    private readonly tenant: string,
    private readonly ruleSet: CompiledRuleSet,
    /** The rules folder whose entity mapping ingest uses (VIGIL_RULES_DIR): entities are extracted as live. */
    rulesDir: string,
    logger: Logger,
    uiBaseUrl: string,
  ) {
    this.stats = { huntId: `hunt-${writerId()}`, events: 0, signals: 0 };
    this.builder = detectionBuilderFor(ruleSet, entityMappingOf(rulesDir)).builder;
    this.router = new EntityRouter(client, logger, { uiBaseUrl });
  }

  /** Sends one hunted event's detection; a failure is reported by the next `ready` or by `finish`. */
  send(event: ArchivedEvent, rules: RuleRef[]): void {
    const detection = { ...this.builder.build(this.tenant, event.source, event, rules, this.ruleSet.version), origin: 'hunt' as const, huntId: this.stats.huntId };
    this.stats.events += 1;
    const routed = this.router.route(this.tenant, [detection]).catch((err: unknown) => {
      this.failure ??= err;
    });
    this.unsettled.add(routed);
    void routed.finally(() => this.unsettled.delete(routed));
  }

  /** Undefined while few sends wait; otherwise resolves once some have settled. Throws once a send failed. */
  ready(): Promise<void> | undefined {
    this.throwIfFailed();
    if (this.unsettled.size < MAX_UNSETTLED) return undefined;
    return Promise.race(this.unsettled).then(() => this.throwIfFailed());
  }

  /** Waits for every send to be accepted by Temporal. */
  async finish(): Promise<HuntSendStats> {
    await Promise.all(this.unsettled);
    this.throwIfFailed();
    this.stats.signals = this.router.stats.signals;
    return this.stats;
  }

  private throwIfFailed(): void {
    if (this.failure === undefined) return;
    const reason = this.failure instanceof Error ? this.failure.message : String(this.failure);
    throw new VigilError('VGL_HUNT_TEMPORAL', `sending hunt ${this.stats.huntId} results to Temporal failed: ${reason} (events sent before it stay recorded; running the hunt again sends only what is missing)`, { field: '--to-temporal' });
  }
}
