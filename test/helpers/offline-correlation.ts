/**
 * Correlates raw events offline through a loaded rule set, as ingest and the correlators do: match each event,
 * keep only the fields correlations need, then run the pure correlation core.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { correlateOffline, type CorrelationHit } from '../../src/correlation';
import { DetectionFields } from '../../src/ingest/detection-fields';
import type { Detection } from '../../src/model/detection';
import type { SourceKind } from '../../src/model/source';
import type { CompiledRuleSet } from '../../src/sigma';

export const account = '111122223333';
const rulesRoot = join(__dirname, '../../rules');

export interface Replayed {
  source: SourceKind;
  time: number;
  data: Record<string, unknown>;
}

export function detect(ruleSet: CompiledRuleSet, events: Replayed[]): Detection[] {
  const fields = new DetectionFields(ruleSet.correlations, ruleSet.rules);
  return events.flatMap((e, i) => {
    const rules = ruleSet.match(e.data, e.source);
    if (rules.length === 0) return [];
    const picked = fields.read(e.source, e.data, rules);
    return [{ eventId: `ev${i}`, tenant: 'acme', source: e.source, time: e.time, rules, entities: [], fields: picked, summary: '', rulesetVersion: ruleSet.version }];
  });
}

export const correlate = (ruleSet: CompiledRuleSet, events: Replayed[]): CorrelationHit[] => correlateOffline(ruleSet.correlations, detect(ruleSet, events));

/** A scenario of rules/scenarios replayed at a fixed start time. */
export function scenario(file: string): Replayed[] {
  return readFileSync(join(rulesRoot, 'scenarios', file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { source: SourceKind; offsetMs: number; data: Record<string, unknown> })
    .map((l) => ({ source: l.source, time: 1_790_000_000_000 + l.offsetMs, data: l.data }));
}

/** A CloudTrail record with the fields these rules look at (IAM user svc-reporting unless `user` or `userIdentity` says otherwise). */
export function trail(time: number, eventSource: string, eventName: string, extra: Record<string, unknown> = {}): Replayed {
  const user = (extra.user as string | undefined) ?? 'svc-reporting';
  const { user: _user, ...rest } = extra;
  return {
    source: 'cloudtrail',
    time,
    data: {
      eventVersion: '1.09',
      userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${account}:user/${user}`, accountId: account, userName: user, accessKeyId: 'AKIAQ3EGRT7XREP0RT42' },
      eventSource,
      eventName,
      awsRegion: 'eu-west-1',
      sourceIPAddress: '203.0.113.77',
      recipientAccountId: account,
      ...rest,
    },
  };
}
