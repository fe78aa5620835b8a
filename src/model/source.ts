/**
 * The log sources Vigil understands. A source names both the wire topic segment
 * (`vigil/v1/{tenant}/events/{source}`) and the Sigma logsource its events are matched under.
 */
import { z } from 'zod';

export const sourceKinds = ['k8s_audit', 'cloudtrail', 'process', 'auditd', 'falco', 'json'] as const;
export const SourceKindSchema = z.enum(sourceKinds);
export type SourceKind = z.infer<typeof SourceKindSchema>;

/** A Sigma logsource triple; absent parts match anything. */
export interface Logsource {
  product?: string;
  service?: string;
  category?: string;
}

/**
 * The Sigma logsource each source's events are matched under. `json` is the generic source:
 * it carries no logsource, so only rules without product/service/category (or eval's explicit
 * `--logsource`) apply to it.
 */
export const logsourceOf: Record<SourceKind, Logsource> = {
  k8s_audit: { product: 'kubernetes', service: 'audit' },
  cloudtrail: { product: 'aws', service: 'cloudtrail' },
  process: { product: 'linux', category: 'process_creation' },
  auditd: { product: 'linux', service: 'auditd' },
  falco: { product: 'falco' },
  json: {},
};
