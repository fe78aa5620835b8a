/**
 * What ingest hands to correlators: a raw event that matched at least one detection rule,
 * reduced to what correlation and an analyst need. Detections are plain data (they cross into
 * the workflow sandbox as signal payloads).
 */
import type { EntityRef } from './entity';
import type { SourceKind } from './source';

export type RuleLevel = 'informational' | 'low' | 'medium' | 'high' | 'critical';

export interface RuleRef {
  id: string;
  /** Sigma `name` (used by correlation `rules:` references), when the rule has one. */
  name?: string;
  title: string;
  level: RuleLevel;
  tags: string[];
  /**
   * A shadow rule (`vigil.shadow: true`; a correlation also when a rule it references is one): its alerts are
   * would-be alerts, recorded and counted but never notified and never starting a playbook.
   */
  shadow?: true;
}

export interface Detection {
  /** The raw event's id; the correlator de-duplicates on (eventId, rule.id). */
  eventId: string;
  tenant: string;
  source: SourceKind;
  /** Event time, epoch ms. */
  time: number;
  /** Every rule the event matched. */
  rules: RuleRef[];
  /** The entities this event concerns; the router sends it to each one's correlator, and the most specific owns its alert (src/model/finding-owner.ts). */
  entities: EntityRef[];
  /** Selected event fields (flattened dotted paths) that correlations group by or aggregate, plus a short summary. */
  fields: Record<string, string | number | boolean | null>;
  /** One line for timelines: the event's most telling fields. */
  summary: string;
  /** The rule set version (content hash) that produced the match. */
  rulesetVersion: string;
  /**
   * Absent for live detections (ingest). `hunt`: a retro-hunt's hit over archived events (`vigil hunt
   * --to-temporal`), with `huntId`: recorded in timelines and alerts marked as such, never starting a playbook
   * (the rule is in the correlator, workflows/correlator/correlator.ts, and the README).
   */
  origin?: 'hunt';
  /** The hunt that produced it (set with `origin: 'hunt'` only). */
  huntId?: string;
}
