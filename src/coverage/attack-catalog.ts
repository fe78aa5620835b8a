/**
 * The ATT&CK Enterprise techniques coverage is measured against: a subset of MITRE's ATT&CK data
 * (data/enterprise-attack.json, licence in data/LICENSE-ATTACK.txt) holding the tactics in matrix order and
 * every technique for the platforms Vigil watches (Linux, IaaS, Containers), plus any other technique the
 * rule pack tags. Parsed with zod at load: a bad edit of the data file fails loudly, not as wrong numbers.
 */
import { z } from 'zod';
import catalogJson from './data/enterprise-attack.json';

const techniqueId = /^T\d{4}(\.\d{3})?$/;

const CatalogSchema = z.object({
  attack: z.object({ domain: z.literal('enterprise-attack'), version: z.string().min(1), source: z.string().min(1), platforms: z.array(z.string()).min(1) }),
  tactics: z.array(z.object({ id: z.string().regex(/^TA\d{4}$/), shortname: z.string().min(1), name: z.string().min(1) })).min(1),
  techniques: z.array(z.object({ id: z.string().regex(techniqueId), name: z.string().min(1), tactics: z.array(z.string()), platforms: z.array(z.string()) })).min(1),
});

export type AttackTactic = z.infer<typeof CatalogSchema>['tactics'][number];
export type AttackTechnique = z.infer<typeof CatalogSchema>['techniques'][number];

export interface AttackCatalog {
  readonly version: string;
  readonly source: string;
  /** The platforms whose techniques the catalogue holds in full. */
  readonly platforms: readonly string[];
  /** In ATT&CK matrix order (reconnaissance first, impact last). */
  readonly tactics: readonly AttackTactic[];
  readonly techniques: ReadonlyMap<string, AttackTechnique>;
}

/** Parses catalogue data (the vendored file by default); throws with zod's path on malformed data. */
export function loadAttackCatalog(data: unknown = catalogJson): AttackCatalog {
  const parsed = CatalogSchema.parse(data);
  const shortnames = new Set(parsed.tactics.map((t) => t.shortname));
  const badTactic = parsed.techniques.find((t) => t.tactics.some((x) => !shortnames.has(x)));
  if (badTactic) throw new Error(`ATT&CK catalogue: ${badTactic.id} names a tactic that is not in the tactic list`);
  return {
    version: parsed.attack.version,
    source: parsed.attack.source,
    platforms: parsed.attack.platforms,
    tactics: parsed.tactics,
    techniques: new Map(parsed.techniques.map((t) => [t.id, t])),
  };
}

/** `attack.t1552.005` → `T1552.005`; undefined for tactic, group or software tags. */
export function techniqueOfTag(tag: string): string | undefined {
  const m = /^attack\.(t\d{4}(?:\.\d{3})?)$/i.exec(tag);
  return m ? m[1]!.toUpperCase() : undefined;
}
