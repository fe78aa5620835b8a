/**
 * `vigil hunt`: detection and correlation rules over one tenant's raw event archive for an event-time
 * range (a retro-hunt), through the same evaluation path as `vigil rules eval` (rule-evaluation.ts),
 * so the same events give the same hits. Streams: one archive block at a time, output back-pressured
 * (LineWriter); only detections are kept, when correlation rules need them. Segments and blocks whose
 * indexed time range misses the range are skipped unread; redelivered copies are dropped by id.
 */
import { stat } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { VigilError } from '../error-codes';
import { scanArchive, type ArchiveScanStats } from '../ingest/archive/archive-scan';
import { FolderStore } from '../ingest/archive/folder-store';
import type { SegmentStore } from '../ingest/archive/segment-store';
import { SourceKindSchema } from '../model/source';
import { TenantIdSchema } from '../model/tenant';
import { loadRuleSet, type LoadOptions } from '../sigma';
import { HuntSender, type HuntSendStats } from './hunt-to-temporal';
import { RuleEvaluation, type EvalOutput } from './rule-evaluation';

export interface HuntOptions extends LoadOptions {
  readonly rules: string[];
  readonly tenant: string;
  readonly from: string;
  readonly to: string;
  readonly source?: string;
  /** The archive: a folder (`--archive`), or the configured store (VIGIL_ARCHIVE_STORE: the folder or S3). */
  readonly archive: string | SegmentStore;
  /** `--to-temporal`: detection hits also go to the tenant's live correlators, marked as this hunt's (hunt-to-temporal.ts). */
  readonly toTemporal?: HuntTemporalTarget;
}

export interface HuntTemporalTarget {
  readonly client: Client;
  /** The rules folder ingest uses (VIGIL_RULES_DIR), for its entity mapping. */
  readonly rulesDir: string;
  /** Temporal Web UI base URL the alerts link to. */
  readonly uiBaseUrl: string;
}

export interface HuntResult {
  readonly detections: number;
  readonly correlations: number;
  readonly scan: ArchiveScanStats;
  /** With --to-temporal: the hunt id its results carry, and what was sent. */
  readonly sent?: HuntSendStats;
}

/** A progress line is redrawn at most this often (TTY only). */
const PROGRESS_EVERY_MS = 250;

export async function hunt(options: HuntOptions, out: EvalOutput, logger: Logger, progress?: NodeJS.WriteStream): Promise<HuntResult> {
  const query = {
    tenant: tenantOf(options.tenant),
    from: instant(options.from, '--from'),
    to: instant(options.to, '--to'),
    ...(options.source !== undefined ? { sources: [sourceOf(options.source)] } : {}),
  };
  if (query.from >= query.to) throw new VigilError('VGL_HUNT_ARGUMENT', `--from (${options.from}) must be before --to (${options.to})`, { field: '--from' });
  const store = await storeOf(options.archive);
  const { ruleSet, errors } = await loadRuleSet(options.rules, options);
  for (const e of errors) logger.warn({ code: e.code, location: e.location }, e.message);
  const evaluation = new RuleEvaluation(ruleSet, out, { selector: 'all' });
  const target = options.toTemporal;
  const sender = target ? new HuntSender(target.client, query.tenant, ruleSet, target.rulesDir, logger, target.uiBaseUrl) : undefined;
  if (sender) logger.info({ huntId: sender.stats.huntId, tenant: query.tenant }, 'hunt results go to the live correlators');
  const started = Date.now();
  let drawn = 0;
  const scan = await scanArchive(
    store,
    query,
    (event) => {
      const rules = evaluation.evaluate(event.data, event.source, { time: event.time, id: event.id });
      if (sender && rules.length > 0) sender.send(event, rules);
    },
    {
      ...(out.signal ? { signal: out.signal } : {}),
      ...(out.ready || sender ? { ready: () => bothReady(out.ready?.(), sender?.ready()) } : {}),
      fault: (f) => logger.warn({ code: 'VGL_ARCHIVE_FAULT', segment: f.key, offset: f.offset, reason: f.reason, bytesSkipped: f.bytesAfter }, 'archive segment ends in a torn or damaged frame; read up to it, skipped the rest'),
      ...(progress?.isTTY
        ? {
            progress: (done: number, total: number, s: ArchiveScanStats) => {
              if (Date.now() - drawn < PROGRESS_EVERY_MS && done < total) return;
              drawn = Date.now();
              progress.write(`\rhunt: ${done}/${total} objects, ${s.segmentsSkipped} skipped, ${s.events} events, ${evaluation.hits} detections\x1b[K`);
            },
          }
        : {}),
    },
  );
  if (progress?.isTTY) progress.write('\n');
  const correlations = evaluation.finish();
  const sent = await sender?.finish();
  const seconds = (Date.now() - started) / 1000;
  logger.info(
    { ...scan, faults: scan.faults.length, detections: evaluation.hits, correlations, eventsPerSec: seconds > 0 ? Math.round(scan.events / seconds) : scan.events, ...(sent ? { sent } : {}) },
    'hunt done',
  );
  return { detections: evaluation.hits, correlations, scan, ...(sent ? { sent } : {}) };
}

function bothReady(a: Promise<void> | undefined, b: Promise<void> | undefined): Promise<void> | undefined {
  return a && b ? Promise.all([a, b]).then(() => undefined) : (a ?? b);
}

async function storeOf(archive: string | SegmentStore): Promise<SegmentStore> {
  if (typeof archive !== 'string') return archive;
  if (!(await stat(archive).then((s) => s.isDirectory(), () => false))) {
    throw new VigilError('VGL_HUNT_ARGUMENT', `no archive folder at ${archive} (set VIGIL_DATA_DIR as ingest does, or pass --archive)`, { field: '--archive' });
  }
  return new FolderStore(archive);
}

function tenantOf(value: string): string {
  const parsed = TenantIdSchema.safeParse(value);
  if (!parsed.success) throw new VigilError('VGL_HUNT_ARGUMENT', `--tenant: ${parsed.error.issues[0]!.message}, got '${value}'`, { field: '--tenant' });
  return parsed.data;
}

function sourceOf(value: string) {
  const parsed = SourceKindSchema.safeParse(value);
  if (!parsed.success) throw new VigilError('VGL_HUNT_ARGUMENT', `--source must be one of ${SourceKindSchema.options.join(', ')}, got '${value}'`, { field: '--source' });
  return parsed.data;
}

/** An ISO 8601 date (midnight UTC) or date-time with its zone (`Z`, `+02:00`: never the machine's), as epoch ms. */
function instant(value: string, flag: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new VigilError('VGL_HUNT_ARGUMENT', `${flag} must be an ISO 8601 date or date-time with a zone (2026-12-01 or 2026-12-01T08:00:00Z), got '${value}'`, { field: flag });
  return ms;
}
