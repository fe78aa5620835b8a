/**
 * What correlators and response playbooks say about a playbook run: the binding that starts it (rules/responses),
 * its decisions and the PlaybookReport the correlator receives back by signal when it ends. The playbook workflow's
 * input is in src/contracts/playbook/input.ts. Owned by the response area; the correlator depends only on the
 * fields below.
 */
/** A playbook bound to an alert by rules/responses/*.yml, with its parameters resolved. */
export interface PlaybookBinding {
  /** Playbook name, e.g. `contain-pod`; also the child workflow id's suffix. */
  playbook: string;
  params: Record<string, unknown>;
}

export interface Decision {
  decision: 'approve' | 'deny';
  /** The approver identity the decision counts as. */
  by: string;
  /** Who physically acted, when the channel tells: the OS user for CLI decisions (`by` may be someone they act for). */
  actor?: string;
  reason?: string;
  /** Epoch ms. */
  at: number;
  via: 'cli' | 'http' | 'chat' | 'default';
}

export interface PlaybookReport {
  alertId: string;
  /** Every alert the run covered (alertId first), when alerts were attached to it; absent when it covered only alertId. */
  alertIds?: string[];
  playbook: string;
  workflowId: string;
  outcome: 'completed' | 'denied' | 'timed_out' | 'failed';
  decisions: Decision[];
  /** Human-readable lines of what was done (including dry-run), in order. */
  actions: string[];
  /**
   * Containment this run applied, absent when none. The correlator keeps reports per entity, so later
   * playbooks read it back (entityStateQuery → playbooks) to escalate TTLs for repeat offenders.
   */
  containment?: ContainmentRecord;
}

export interface ContainmentRecord {
  /** Summaries of the applied actions, in the order applied (undone in reverse). */
  applied: string[];
  /** How long the containment was to last before automatic revert; absent = until an analyst releases it. */
  ttlMs?: number;
  /** Epoch ms at which it was reverted (TTL expiry or an analyst's release); absent = still in force. */
  revertedAt?: number;
  /** The analyst who kept it past its TTL, if any. */
  keptBy?: string;
}
