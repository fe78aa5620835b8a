/**
 * Decentralised detection: a collector started with `--edge-rules DIR` publishes only the events that
 * match at least one of those Sigma rules, so routine activity never leaves the node. The rules are
 * matched exactly as ingest matches them (same loader, same logsource routing).
 */
import type { Logger } from 'pino';
import { VigilError } from '../error-codes';
import type { SourceKind } from '../model/source';
import { loadRuleSet, ruleAppliesToSource, type RuleSet } from '../sigma';

export class EdgeFilter {
  private constructor(
    private readonly ruleSet: RuleSet,
    readonly source: SourceKind,
  ) {}

  /**
   * Loads the rules under `dir`. A rule that fails to load fails the start-up: at the edge a missing
   * rule silently discards the events it was meant to let through.
   */
  static async load(dir: string, source: SourceKind, logger: Logger): Promise<EdgeFilter> {
    const { ruleSet, errors } = await loadRuleSet([dir], { logger });
    if (errors.length > 0) throw errors[0]!;
    if (!ruleSet.rules.some((r) => ruleAppliesToSource(r.logsource, source))) {
      throw new VigilError('VGL_CONFIG_INVALID', `no Sigma rule under ${dir} applies to ${source} events: every event would be filtered`, { field: '--edge-rules' });
    }
    return new EdgeFilter(ruleSet, source);
  }

  /** True when the event matches at least one edge rule for this source. */
  keeps(event: Record<string, unknown>): boolean {
    return this.ruleSet.match(event, this.source).length > 0;
  }
}
