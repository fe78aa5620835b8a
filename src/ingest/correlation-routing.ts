/**
 * Which correlator evaluates which correlation rule. A correlation runs in the correlator of the entity
 * its group-by identifies (per rules/entities: `userIdentity.arn` → user, `Hostname` → host...), so all
 * of one user's events meet in one workflow, and its hit has one owner, which raises its one alert (README, "One alert
 * per finding"). A correlation grouped by fields that identify no entity
 * (a source IP, a bucket name) or by nothing runs in a generic keyed correlator, `group` entity
 * `{correlation id}|{group values}`, that the router adds to every detection it concerns.
 * A correlation over another correlation (a chain) runs where the correlation it consumes runs.
 * Group values come from Detection.fields, the values the correlator groups by, so a detection is routed to the
 * keyed correlator of exactly the group it lands in.
 */
import { boundEntityId } from './entity-id';
import { aliasedField } from '../correlation/plan';
import type { Detection } from '../model/detection';
import type { EntityRef, EntityType } from '../model/entity';
import type { CorrelationRule } from '../sigma/correlation-rule';
import type { EntityMapping } from './entity-mapping';

const GROUP_SEPARATOR = '|';

export class CorrelationRouting {
  private readonly owner = new Map<string, EntityType>();
  /** Detection rule id/name → group-owned correlations that consume it. */
  private readonly groupConsumers = new Map<string, CorrelationRule[]>();
  /** Rule ids and names that do not raise alerts of their own (Sigma `generate: false`). */
  readonly silenced: string[];

  constructor(
    readonly version: string,
    private readonly correlations: readonly CorrelationRule[],
    mapping: EntityMapping,
  ) {
    const byRef = new Map<string, CorrelationRule>();
    for (const c of correlations) {
      byRef.set(c.id, c);
      if (c.name) byRef.set(c.name, c);
    }
    const ownerOf = (c: CorrelationRule, seen: Set<string>): EntityType => {
      const known = this.owner.get(c.id);
      if (known) return known;
      let type: EntityType = 'group';
      const upstream = c.rules.map((r) => byRef.get(r)).find((u) => u !== undefined);
      if (upstream && !seen.has(upstream.id)) type = ownerOf(upstream, new Set([...seen, c.id]));
      else {
        for (const name of c.groupBy) {
          const t = c.rules.map((ref) => mapping.entityTypeOfFieldInAnySource(aliasedField(c, name, ref))).find((x) => x !== undefined);
          if (t) {
            type = t;
            break;
          }
        }
      }
      this.owner.set(c.id, type);
      return type;
    };
    for (const c of correlations) {
      if (ownerOf(c, new Set()) !== 'group' || c.rules.some((r) => byRef.has(r))) continue;
      for (const ref of c.rules) this.groupConsumers.set(ref, [...(this.groupConsumers.get(ref) ?? []), c]);
    }
    const referenced = new Set(correlations.flatMap((c) => c.rules));
    const generating = new Set(correlations.filter((c) => c.generate).flatMap((c) => c.rules));
    this.silenced = [...referenced].filter((r) => !generating.has(r)).sort();
  }

  /** The correlation rules an entity's correlator evaluates. */
  rulesFor(entity: EntityRef): CorrelationRule[] {
    if (entity.type === 'group') {
      // The group's own correlation plus every chain built on it (closure; terminates on cycles).
      const chosen = new Set([entity.id.slice(0, entity.id.indexOf(GROUP_SEPARATOR))]);
      for (let grew = true; grew; ) {
        grew = false;
        for (const c of this.correlations) {
          if (chosen.has(c.id)) continue;
          if (c.rules.some((r) => this.correlations.some((u) => chosen.has(u.id) && (u.id === r || u.name === r)))) {
            chosen.add(c.id);
            grew = true;
          }
        }
      }
      return this.correlations.filter((c) => chosen.has(c.id));
    }
    return this.correlations.filter((c) => this.owner.get(c.id) === entity.type);
  }

  /** The generic keyed correlators a detection must also reach (one per group-owned correlation it feeds). */
  groupEntities(detection: Detection): EntityRef[] {
    const out: EntityRef[] = [];
    for (const rule of detection.rules) {
      const consumers = [...(this.groupConsumers.get(rule.id) ?? []), ...(rule.name ? (this.groupConsumers.get(rule.name) ?? []) : [])];
      for (const c of consumers) {
        const ref = c.rules.includes(rule.id) ? rule.id : rule.name!;
        const values = c.groupBy.map((name) => detection.fields[aliasedField(c, name, ref)]);
        if (values.some((v) => v === undefined || v === null)) continue;
        const id = boundEntityId([c.id, ...values.map(String)].join(GROUP_SEPARATOR));
        if (!out.some((e) => e.id === id)) out.push({ type: 'group', id });
      }
    }
    return out;
  }
}
