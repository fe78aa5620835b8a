/**
 * The Sigma rule model as loaded from YAML: detection rules, filters and correlation documents.
 * Metadata is validated with zod at this boundary; the detection section stays raw here and is
 * parsed by detection.ts. Reference: Sigma specification 2.x (rules, filters, correlations).
 */
import { z } from 'zod';
import type { RuleLevel } from '../model/detection';
import type { Logsource } from '../model/source';
import type { Locate } from './errors';

export const ruleLevels = ['informational', 'low', 'medium', 'high', 'critical'] as const satisfies readonly RuleLevel[];
/**
 * The custom attribute (a top-level key, as Sigma custom attributes are) that makes a rule a shadow rule. Shadow is
 * decided by this attribute alone, never by `status: experimental`: every rule of the shipped pack is experimental
 * (as most SigmaHQ rules are), so tying shadow to the status would silence the whole pack.
 */
export const SHADOW_ATTRIBUTE = 'vigil.shadow';
export const ruleStatuses = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'] as const;

const LogsourceSchema = z
  .object({
    product: z.string().optional(),
    service: z.string().optional(),
    category: z.string().optional(),
    definition: z.string().optional(),
  })
  .loose();

const MetadataSchema = z
  .object({
    title: z.string().min(1),
    id: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    status: z.enum(ruleStatuses).optional(),
    level: z.enum(ruleLevels).optional(),
    description: z.string().optional(),
    tags: z.array(z.string()).optional(),
    falsepositives: z.union([z.array(z.unknown()), z.string()]).optional(),
    /** Vigil's custom attribute: the rule runs but its alerts are would-be alerts (docs: README "Shadow rules"). */
    [SHADOW_ATTRIBUTE]: z.boolean().optional(),
  })
  .loose();

export const DetectionRuleSchema = MetadataSchema.extend({
  logsource: LogsourceSchema,
  detection: z.record(z.string(), z.unknown()),
});

export const FilterRuleSchema = MetadataSchema.extend({
  logsource: LogsourceSchema.optional(),
  filter: z.object({ rules: z.array(z.string().min(1)).min(1) }).catchall(z.unknown()),
});

/** What every loaded document carries: where it came from and how to locate its nodes. */
export interface DocumentOrigin {
  readonly file: string;
  /** Position of the document in its file, 0-based. */
  readonly documentIndex: number;
  readonly locate: Locate;
}

export interface RuleMetadata {
  /** The rule `id`; rules without one get `<file>#<documentIndex>` so references stay stable per file. */
  readonly id: string;
  readonly name?: string;
  readonly title: string;
  readonly status?: (typeof ruleStatuses)[number];
  /** Sigma leaves level optional; Vigil treats a missing level as `medium`. */
  readonly level: RuleLevel;
  readonly tags: readonly string[];
  readonly description?: string;
  readonly falsepositives: readonly string[];
  /** `vigil.shadow: true`: matches are recorded as would-be alerts that notify nobody and start no playbook. */
  readonly shadow?: true;
}

export interface SigmaDetectionRule extends DocumentOrigin, RuleMetadata {
  readonly kind: 'detection';
  readonly logsource: Logsource;
  /** The raw `detection` map: search identifiers plus `condition`. */
  readonly detection: Readonly<Record<string, unknown>>;
}

/** A Sigma filter: extra search identifiers and a condition ANDed onto the rules it names. */
export interface SigmaFilter extends DocumentOrigin, RuleMetadata {
  readonly kind: 'filter';
  readonly logsource?: Logsource;
  /** Ids or names of the rules the filter applies to. */
  readonly targets: readonly string[];
  /** The `filter` map minus `rules`: search identifiers plus `condition`, same shape as a detection. */
  readonly detection: Readonly<Record<string, unknown>>;
}

/** A correlation document, handed whole to the correlation rule parser. */
export interface SigmaCorrelationDocument extends DocumentOrigin {
  readonly kind: 'correlation';
  readonly document: Record<string, unknown>;
}

export type SigmaDocument = SigmaDetectionRule | SigmaFilter | SigmaCorrelationDocument;
