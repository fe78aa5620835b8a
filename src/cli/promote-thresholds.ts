/** What `vigil rules promote` asks of a shadow rule's evidence before it goes live (each overridable by a flag). */
export interface EvidenceThresholds {
  /** Alerts observed (would-be and live), across the tenants judged. */
  minAlerts: number;
  /** Analyst verdicts (true and false positives). */
  minVerdicts: number;
  /** True positives / verdicts, 0 to 1. */
  minPrecision: number;
}

export const defaultThresholds: EvidenceThresholds = { minAlerts: 5, minVerdicts: 3, minPrecision: 0.8 };
