/** Coverage as Markdown: a per-tactic summary table, rules per log source, then each covered technique. */
import type { Coverage } from './coverage';

export function coverageMarkdown(coverage: Coverage): string[] {
  const lines = [
    `# ATT&CK coverage`,
    '',
    `${coverage.rules} rules (level low and above) measured against ATT&CK v${coverage.attackVersion} Enterprise, platforms ${coverage.platforms.join(', ')} (${coverage.catalogSource}).`,
    '',
    '| tactic | techniques covered | of | rules |',
    '|---|---:|---:|---:|',
    ...coverage.tactics.map((t) => `| ${t.name} (${t.id}) | ${t.covered.length} | ${t.total} | ${new Set(t.covered.flatMap((c) => c.rules.map((r) => r.name))).size} |`),
    '',
    '| log source | rules |',
    '|---|---:|',
    ...Object.entries(coverage.byLogsource).sort().map(([source, n]) => `| ${source} | ${n} |`),
  ];
  for (const t of coverage.tactics.filter((x) => x.covered.length > 0)) {
    lines.push('', `## ${t.name}`, '', '| technique | log sources | rules |', '|---|---|---|');
    for (const c of t.covered) {
      const sources = [...new Set(c.rules.map((r) => r.logsource))].sort().join(', ');
      lines.push(`| ${c.id} ${c.name} | ${sources} | ${c.rules.map((r) => r.name).join(', ')} |`);
    }
  }
  if (coverage.unknownTechniques.length > 0) {
    lines.push('', '## Technique tags not in the technique list', '', ...coverage.unknownTechniques.map((u) => `- ${u.rule}: ${u.technique}`));
  }
  return lines;
}
