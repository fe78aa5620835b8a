/**
 * The placeholder configuration for the `expand` modifier: a YAML map of placeholder name → list
 * of values, e.g. `Legitimate_Countries: [DE, FR]`. The project's lives in
 * rules/sigma-config/placeholders.yml.
 */
import { z } from 'zod';
import { RuleError } from './errors';
import type { PlaceholderValues } from './modifiers/expand';
import type { RuleLimits } from './rule-limits';
import { readRuleText } from './rule-text';
import { parseYamlDocuments } from './yaml-document';

const PlaceholderConfigSchema = z.record(z.string().min(1), z.array(z.union([z.string(), z.number()]).transform(String)));

/** Read under the same per-file bounds as rule files: it is re-read by every hot-reload check. */
export async function loadPlaceholderConfig(file: string, limits: RuleLimits): Promise<{ placeholders: PlaceholderValues; text: string }> {
  const text = await readRuleText(file, limits);
  const { documents, errors } = parseYamlDocuments(text, file, limits);
  if (errors.length > 0) throw errors[0]!;
  const doc = documents[0];
  const parsed = PlaceholderConfigSchema.safeParse(doc?.value ?? {});
  if (!parsed.success) {
    const path = parsed.error.issues[0]!.path.filter((p): p is string | number => typeof p !== 'symbol');
    throw new RuleError('VGL_RULE_SCHEMA', `placeholder configuration: ${parsed.error.issues[0]!.message}`, doc?.locate(path) ?? { file });
  }
  return { placeholders: parsed.data, text };
}
