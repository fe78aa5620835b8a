/**
 * `vigil hunt`: registration only; the hunt itself (hunt.ts) and the rule engine load when it runs.
 * Exit codes follow main.ts: 0 done (hits or not), 2 a VGL_* error.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { loadConfig, ruleLimitsOf } from '../config';

export function registerHuntCommand(program: Command, logger: Logger): void {
  program
    .command('hunt')
    .description("Retro-hunt: run detection and correlation rules over a tenant's raw event archive for a time range; --json: hits as `rules eval` writes them")
    .requiredOption('--rules <paths...>', 'rule files or directories')
    .requiredOption('--tenant <tenant>', 'the tenant whose archive is searched (no other tenant is read)')
    .requiredOption('--from <iso>', 'start of the event-time range, inclusive (2026-12-01 or 2026-12-01T08:00:00Z)')
    .requiredOption('--to <iso>', 'end of the event-time range, exclusive')
    .option('--source <source>', 'only this source: k8s_audit|cloudtrail|process|auditd|falco|json')
    .option('--json', 'NDJSON hits exactly as `vigil rules eval` writes them (default: one readable line per hit)')
    .option('--archive <dir>', 'archive folder (default: the configured store, VIGIL_ARCHIVE_STORE: <VIGIL_DATA_DIR>/archive or the S3 bucket)')
    .option('--placeholders <file>', 'placeholder values for the expand modifier')
    .option('--rule-cache <dir>', 'keep parsed rule files in this directory so the next load skips YAML parsing')
    .option('--to-temporal', "also send the detection hits to the tenant's live entity correlators (TEMPORAL_ADDRESS), marked as this hunt's: timeline rows and alerts, never playbooks or notifications")
    .action(async (opts: { rules: string[]; tenant: string; from: string; to: string; source?: string; json?: boolean; archive?: string; placeholders?: string; ruleCache?: string; toTemporal?: boolean }) => {
      const config = loadConfig();
      const [{ hunt }, { LineWriter }, { readableHit }] = await Promise.all([import('./hunt'), import('./line-writer'), import('./hit-text')]);
      const client = opts.toTemporal ? await (await import('../temporal/client')).connectClient(config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`, config.TEMPORAL_NAMESPACE) : undefined;
      const writer = new LineWriter(process.stdout);
      const out = opts.json ? writer : { write: (line: string) => writer.write(readableHit(line)), ready: () => writer.ready(), signal: writer.signal };
      try {
        await hunt(
          {
            rules: opts.rules,
            tenant: opts.tenant,
            from: opts.from,
            to: opts.to,
            ...(opts.source !== undefined ? { source: opts.source } : {}),
            archive: opts.archive ?? (config.VIGIL_ARCHIVE_STORE === 'folder' ? path.join(config.VIGIL_DATA_DIR, 'archive') : (await import('../app/archive-store')).archiveStoreOf(config)),
            ...(opts.placeholders ? { placeholdersFile: opts.placeholders } : {}),
            ...(opts.ruleCache ? { cacheDir: opts.ruleCache } : {}),
            ...(client ? { toTemporal: { client, rulesDir: config.VIGIL_RULES_DIR, uiBaseUrl: config.TEMPORAL_UI_URL ?? `http://localhost:${config.TEMPORAL_UI_PORT}` } } : {}),
            logger,
            limits: ruleLimitsOf(config),
          },
          out,
          logger,
          process.stderr,
        );
      } finally {
        await client?.connection.close();
      }
      await writer.end();
    });
}
