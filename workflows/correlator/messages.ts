/**
 * Every message the correlator workflow accepts, defined once and imported by every sender (ingest
 * router, playbooks, CLI, tests). Wire names equal the constant's stem.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Alert } from '../../src/model/alert';
import type { Detection } from '../../src/model/detection';
import type { EntityRef } from '../../src/model/entity';
import type { PlaybookReport } from '../../src/model/playbook';

/** A batch of detections for one entity; `batchId` makes redelivery harmless. */
export interface DetectionBatch {
  batchId: string;
  detections: Detection[];
}

export const detectionBatchSignal = defineSignal<[DetectionBatch]>('detectionBatch');
export const playbookReportSignal = defineSignal<[PlaybookReport]>('playbookReport');

export interface TimelineEntry {
  time: number;
  eventId: string;
  source: Detection['source'];
  rules: string[];
  summary: string;
}

export interface EntityStateView {
  tenant: string;
  entity: EntityRef;
  riskScore: number;
  openAlerts: Alert[];
  alertCount: number;
  eventCount: number;
  timeline: TimelineEntry[];
  playbooks: PlaybookReport[];
  rulesetVersion: string;
  /** Detections that arrived later than the allowed lateness: kept in the timeline, not in windows. */
  lateEvents: number;
}

export const entityStateQuery = defineQuery<EntityStateView>('entityState');
export const timelineQuery = defineQuery<TimelineEntry[]>('timeline');

export interface VerdictInput {
  alertId: string;
  verdict: 'true_positive' | 'false_positive';
  by: string;
  note?: string;
}
export const verdictUpdate = defineUpdate<Alert, [VerdictInput]>('verdict');
