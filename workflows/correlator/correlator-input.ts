/** The correlator workflow's start argument; `carried` is set only by continue-as-new. */
import type { EntityRef } from '../../src/model/entity';
import type { CarriedState } from './entity-state';

export interface CorrelatorSettings {
  /** Complete after this long with no new detections and no open alerts. */
  quietPeriod: string;
  /** Entries kept in the timeline (oldest dropped first, counted). */
  maxTimeline: number;
  /** No second alert for the same rule and group within this period. */
  suppressFor: string;
  /** Risk halves over this period of workflow time. */
  riskHalfLife: string;
  /** Continue-as-new once history reaches this many events, even before the server suggests it. */
  maxHistoryEvents: number;
  /** How far behind the newest event time a detection may arrive and still count in correlation windows. */
  allowedLateness: string;
}

export interface CorrelatorInput {
  tenant: string;
  entity: EntityRef;
  settings?: Partial<CorrelatorSettings>;
  /** Temporal Web UI base URL for alert links (default `http://localhost:8233`, the dev server's UI). */
  uiBaseUrl?: string;
  carried?: CarriedState;
}
