/**
 * `vigil rules stats`: alerts, would-be alerts of shadow rules, verdicts and precision per rule, summed over the
 * tenants read (rule-stats-read.ts), busiest rules first, then the noisiest: the rules with the most false
 * positives, ties broken by the lower precision and then by volume.
 */
import type { Client } from '@temporalio/client';
import { precisionOf, readRuleStats, type RuleStats } from '../temporal/rule-stats-read';

const NOISIEST = 5;

const volume = (r: RuleStats): number => r.alerts + r.shadowAlerts;
const percent = (p: number | undefined): string => (p === undefined ? '-' : `${(p * 100).toFixed(0)}%`);

export function noisiest(rows: readonly RuleStats[]): RuleStats[] {
  return rows
    .filter((r) => r.falsePositives > 0)
    .sort((a, b) => b.falsePositives - a.falsePositives || (precisionOf(a) ?? 1) - (precisionOf(b) ?? 1) || volume(b) - volume(a))
    .slice(0, NOISIEST);
}

export async function ruleStatsReport(client: Client, tenant: string | undefined, json: boolean, write: (line: string) => void): Promise<void> {
  const rows = (await readRuleStats(client, tenant)).sort((a, b) => volume(b) - volume(a) || a.ruleId.localeCompare(b.ruleId));
  if (json) {
    for (const r of rows) write(JSON.stringify({ ...r, precision: precisionOf(r) ?? null }));
    return;
  }
  if (rows.length === 0) {
    write(`no alerts recorded${tenant ? ` in tenant ${tenant}` : ''}`);
    return;
  }
  const line = (r: RuleStats): string =>
    [String(r.alerts).padStart(6), String(r.shadowAlerts).padStart(7), String(r.truePositives).padStart(4), String(r.falsePositives).padStart(4), percent(precisionOf(r)).padStart(9), `  ${r.title} (${r.ruleId})${r.shadow ? ' [shadow]' : ''}`].join(' ');
  write(`${'alerts'.padStart(6)} ${'shadow'.padStart(7)} ${'TP'.padStart(4)} ${'FP'.padStart(4)} ${'precision'.padStart(9)}  rule`);
  for (const r of rows) write(line(r));
  const noisy = noisiest(rows);
  if (noisy.length > 0) {
    write('noisiest (most false positives):');
    for (const r of noisy) write(line(r));
  }
}
