/**
 * Entity extraction: which entities (host, user, pod...) an event concerns, from the per-source
 * mapping in rules/entities/*.yml. Templates are compiled once at load into field readers of the
 * source (sigma/field-reader.ts: the matcher's reading, through arrays and the source's pipeline);
 * extraction is a few field reads per detection (it runs only for events that matched a rule).
 * An id part takes the field's one value (FieldReader.scalar: the first); a `when` condition holds
 * when any of the field's values equals it, as a Sigma selection on a list does.
 */
import { boundEntityId } from './entity-id';
import { z } from 'zod';
import { EntityTypeSchema, type EntityRef, type EntityType } from '../model/entity';
import { SourceKindSchema, type SourceKind } from '../model/source';
import { sourceFieldReader, type FieldReader } from '../sigma/field-reader';
import { readYamlFile } from '../yaml-file';

const MappingSchema = z.object({
  type: EntityTypeSchema,
  id: z.string().regex(/\{[^}]+\}/, 'id must reference at least one {field}'),
  when: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  fields: z.array(z.string()).default([]),
});
const FileSchema = z.partialRecord(SourceKindSchema, z.array(MappingSchema));

type Part = { literal: string } | { reader: FieldReader };

interface CompiledMapping {
  type: EntityType;
  parts: Part[];
  when: Array<[FieldReader, string | number | boolean]>;
  fields: string[];
}

function compileTemplate(source: SourceKind, template: string): Part[] {
  const parts: Part[] = [];
  const re = /\{([^}]+)\}/g;
  let last = 0;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    if (m.index > last) parts.push({ literal: template.slice(last, m.index) });
    parts.push({ reader: sourceFieldReader(source, m[1]!) });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push({ literal: template.slice(last) });
  return parts;
}

export class EntityMapping {
  private constructor(private readonly bySource: Partial<Record<SourceKind, CompiledMapping[]>>) {}

  static fromFile(file: string): EntityMapping {
    const parsed = readYamlFile(file, FileSchema, 'VGL_ENTITY_MAPPING_INVALID');
    const bySource: Partial<Record<SourceKind, CompiledMapping[]>> = {};
    for (const [source, mappings] of Object.entries(parsed) as Array<[SourceKind, z.infer<typeof MappingSchema>[]]>) {
      bySource[source] = mappings.map((m) => ({
        type: m.type,
        parts: compileTemplate(source, m.id),
        when: Object.entries(m.when ?? {}).map(([field, value]) => [sourceFieldReader(source, field), value]),
        fields: m.fields,
      }));
    }
    return new EntityMapping(bySource);
  }

  /** The entities an event concerns, de-duplicated, in mapping order. */
  extract(source: SourceKind, event: unknown): EntityRef[] {
    const out: EntityRef[] = [];
    for (const m of this.bySource[source] ?? []) {
      if (!m.when.every(([reader, value]) => reader.values(event).includes(value))) continue;
      let id = '';
      let complete = true;
      for (const part of m.parts) {
        if ('literal' in part) {
          id += part.literal;
          continue;
        }
        const v = part.reader.scalar(event);
        if (v === undefined || v === null || v === '') {
          complete = false;
          break;
        }
        id += String(v);
      }
      if (!complete) continue;
      id = boundEntityId(id);
      if (!out.some((e) => e.type === m.type && e.id === id)) out.push({ type: m.type, id });
    }
    return out;
  }

  /** Which entity type a field identifies in any source (used to route correlations by group-by). */
  entityTypeOfFieldInAnySource(field: string): EntityType | undefined {
    for (const mappings of Object.values(this.bySource)) {
      const hit = mappings?.find((m) => m.fields.includes(field));
      if (hit) return hit.type;
    }
    return undefined;
  }
}
