/**
 * Rule file text → typed Sigma documents. A document with a `correlation` key is a correlation
 * rule, one with a `filter` key a Sigma filter, anything else a detection rule. Each document is
 * validated on its own: a bad document is reported (with file:line:col) and its siblings still load.
 */
import type { z } from 'zod';
import type { Logsource } from '../model/source';
import { RuleError, type Locate } from './errors';
import {
  DetectionRuleSchema,
  FilterRuleSchema,
  SHADOW_ATTRIBUTE,
  type RuleMetadata,
  type SigmaDocument,
} from './rule';
import type { YamlDocument, YamlParse } from './yaml-document';

/** The Sigma documents of a parsed file; a document that is not one is reported in `errors`. */
export function readSigmaDocuments(yaml: YamlParse, file: string): { documents: SigmaDocument[]; errors: RuleError[] } {
  const { documents: yamlDocs } = yaml;
  const errors = [...yaml.errors];
  const documents: SigmaDocument[] = [];
  for (const doc of yamlDocs) {
    try {
      documents.push(toSigmaDocument(doc, file));
    } catch (e) {
      if (!(e instanceof RuleError)) throw e;
      errors.push(e);
    }
  }
  return { documents, errors };
}

function toSigmaDocument(doc: YamlDocument, file: string): SigmaDocument {
  const { value, locate, index: documentIndex } = doc;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RuleError('VGL_RULE_SCHEMA', 'a rule document must be a YAML map', locate([]));
  }
  const record = value as Record<string, unknown>;
  const origin = { file, documentIndex, locate };
  if ('correlation' in record) return { kind: 'correlation', ...origin, document: record };
  if ('filter' in record) {
    const parsed = validate(FilterRuleSchema, record, locate);
    const { rules, ...detection } = parsed.filter;
    return {
      kind: 'filter',
      ...origin,
      ...metadata(parsed, file, documentIndex),
      ...(parsed.logsource ? { logsource: logsourceFrom(parsed.logsource) } : {}),
      targets: rules,
      detection,
    };
  }
  const parsed = validate(DetectionRuleSchema, record, locate);
  return {
    kind: 'detection',
    ...origin,
    ...metadata(parsed, file, documentIndex),
    logsource: logsourceFrom(parsed.logsource),
    detection: parsed.detection,
  };
}

function validate<S extends z.ZodType>(schema: S, value: unknown, locate: Locate): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const field = path.join('.');
  throw new RuleError('VGL_RULE_SCHEMA', `${field || 'document'}: ${issue.message}`, locate(path));
}

function metadata(
  parsed: z.infer<typeof DetectionRuleSchema> | z.infer<typeof FilterRuleSchema>,
  file: string,
  documentIndex: number,
): RuleMetadata {
  const fp = parsed.falsepositives;
  return {
    id: parsed.id ?? `${file}#${documentIndex}`,
    ...(parsed.name !== undefined ? { name: parsed.name } : {}),
    title: parsed.title,
    ...(parsed.status !== undefined ? { status: parsed.status } : {}),
    level: parsed.level ?? 'medium',
    tags: parsed.tags ?? [],
    ...(parsed.description !== undefined ? { description: parsed.description } : {}),
    falsepositives: fp === undefined ? [] : typeof fp === 'string' ? [fp] : fp.map(String),
    ...(parsed[SHADOW_ATTRIBUTE] === true ? { shadow: true as const } : {}),
  };
}

function logsourceFrom(ls: { product?: string; service?: string; category?: string }): Logsource {
  return {
    ...(ls.product !== undefined ? { product: ls.product } : {}),
    ...(ls.service !== undefined ? { service: ls.service } : {}),
    ...(ls.category !== undefined ? { category: ls.category } : {}),
  };
}
