/**
 * What rejecting an oversized rule file costs (the file that once stalled ingest for minutes: 50 MB,
 * 1.6M `contains` values in one field), and what the largest file the default bounds accept costs
 * to load. Times are medians of 3 runs; `peak_rss_growth_mb` is how far the process's peak resident
 * memory rose during the step (0 when it stayed under an earlier peak). Figures are `rule-bounds.<step>_*`.
 */
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { defaultRuleLimits, loadRuleSet, type RuleLimits } from '../sigma';
import { benchFigure, type BenchFigure } from './support/bench-figure';

const HUGE_VALUES = 1_600_000;

/** Writes a one-rule file whose one field lists `values` distinct `contains` values (~32 bytes a line). */
function writeListRule(file: string, values: number): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, 'title: Long list\nid: 5f0c2d4e-9a43-4c1b-8b1e-2f6f3f0a7d10\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    eventName|contains:\n');
    for (let start = 0; start < values; start += 10_000) {
      const lines: string[] = [];
      for (let i = start; i < Math.min(values, start + 10_000); i++) lines.push(`      - 'val-${i.toString(36).padStart(8, '0')}-abcdefgh'\n`);
      writeSync(fd, lines.join(''));
    }
    writeSync(fd, '  condition: sel\nlevel: high\n');
  } finally {
    closeSync(fd);
  }
}

/** Median wall time of 3 loads of `dir` and the peak-RSS growth they caused; also what they loaded. */
async function measure(dir: string, limits: Partial<RuleLimits>): Promise<{ ms: number; peakGrowthMb: number; rules: number; codes: string }> {
  const peakBefore = process.resourceUsage().maxRSS;
  const times: number[] = [];
  let result = { rules: 0, codes: '' };
  for (let run = 0; run < 3; run++) {
    const started = process.hrtime.bigint();
    const { ruleSet, errors } = await loadRuleSet([dir], { limits });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    result = { rules: ruleSet.rules.length, codes: errors.map((e) => e.code).join(',') || 'none' };
  }
  const ms = [...times].sort((a, b) => a - b)[1]!;
  return { ms: Math.round(ms * 10) / 10, peakGrowthMb: Math.round((process.resourceUsage().maxRSS - peakBefore) / 1024), ...result };
}

export async function run(logger: Logger): Promise<BenchFigure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-bounds-'));
  try {
    const figures: BenchFigure[] = [];
    const record = (name: string, m: Awaited<ReturnType<typeof measure>>, load: string) => {
      figures.push(
        benchFigure(`rule-bounds.${name}_ms`, m.ms, 'ms', `${load}; median of 3 loads`),
        benchFigure(`rule-bounds.${name}_peak_rss_growth_mb`, m.peakGrowthMb, 'MiB', load),
        benchFigure(`rule-bounds.${name}_outcome`, `${m.rules} rules, ${m.codes}`, '', load),
      );
    };
    const huge = `one 50 MB rule file, ${HUGE_VALUES} contains values in one field`;
    // Cheapest first, so each peak-RSS growth is not hidden by an earlier, larger peak.
    writeListRule(join(dir, 'huge.yml'), HUGE_VALUES);
    record('reject_50mb_file_default_bounds', await measure(dir, {}), `${huge}, default bounds`);
    record('reject_50mb_file_byte_bound_lifted', await measure(dir, { maxFileBytes: 2 ** 30 }), `${huge}, file byte bound lifted`);
    rmSync(join(dir, 'huge.yml'));
    // The largest single field the defaults accept, in a file under the byte bound.
    writeListRule(join(dir, 'largest.yml'), defaultRuleLimits.maxFieldValues);
    record('load_largest_accepted_field', await measure(dir, {}), `one rule with ${defaultRuleLimits.maxFieldValues} contains values in one field (the default bound)`);
    logger.info({ figures }, 'rule bounds benchmark');
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
