/**
 * `vigil rules coverage PATH... [--format md|json|navigator]`: the ATT&CK coverage of a rule set, by tactic,
 * technique and log source, measured against the vendored ATT&CK technique list. `navigator` prints a layer
 * file for the ATT&CK Navigator. Rules that fail to load are reported on stderr and left out.
 */
import type { Logger } from 'pino';
import { computeCoverage, coverageMarkdown, loadAttackCatalog, toNavigatorLayer, type Coverage } from '../coverage';
import { VigilError } from '../error-codes';
import { loadRuleSet, type LoadOptions } from '../sigma';

export const coverageFormats = ['md', 'json', 'navigator'] as const;
export type CoverageFormat = (typeof coverageFormats)[number];

export function coverageFormat(value: string): CoverageFormat {
  const format = coverageFormats.find((f) => f === value);
  if (!format) throw new VigilError('VGL_CONFIG_INVALID', `--format must be one of ${coverageFormats.join(', ')}, got '${value}'`, { field: '--format' });
  return format;
}

export async function rulesCoverage(
  paths: string[],
  options: LoadOptions & { logger?: Logger },
  format: CoverageFormat,
  write: (text: string) => void,
): Promise<{ coverage: Coverage; loadErrors: VigilError[] }> {
  const { ruleSet, errors } = await loadRuleSet(paths, options);
  for (const e of errors) options.logger?.warn({ code: e.code, location: e.location }, e.message);
  const coverage = computeCoverage(ruleSet, loadAttackCatalog());
  if (format === 'md') write(coverageMarkdown(coverage).join('\n'));
  else write(JSON.stringify(format === 'json' ? coverage : toNavigatorLayer(coverage), null, 2));
  return { coverage, loadErrors: errors };
}
