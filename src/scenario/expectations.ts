/**
 * A scenario's expectations, `FILE.expect.yml` next to `FILE.ndjson`: the alerts it must raise and must not raise
 * (by rule id or title, optionally on one entity, `type:id`) and how many incidents its alerts form. Checked against
 * the alerts whose events are the scenario's own, and the incidents holding any of them.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { EntityTypeSchema, type EntityRef } from '../model/entity';
import { readYamlFile } from '../yaml-file';
import type { ScenarioAlert, ScenarioIncident } from './report';

const EntitySpecSchema = z
  .string()
  .regex(/^[a-z]+:.+$/, 'entity must be "type:id", e.g. pod:shop/web')
  .transform((text, ctx): EntityRef => {
    const type = EntityTypeSchema.safeParse(text.slice(0, text.indexOf(':')));
    if (!type.success) {
      ctx.addIssue({ code: 'custom', message: `unknown entity type in "${text}"; one of ${EntityTypeSchema.options.join(', ')}` });
      return z.NEVER;
    }
    return { type: type.data, id: text.slice(text.indexOf(':') + 1) };
  });

const AlertSpecSchema = z.strictObject({
  /** A rule id or title. */
  rule: z.string().min(1),
  entity: EntitySpecSchema.optional(),
});
type AlertSpec = z.output<typeof AlertSpecSchema>;

const ExpectationsSchema = z.strictObject({
  alerts: z
    .strictObject({
      fire: z.array(AlertSpecSchema).default([]),
      notFire: z.array(AlertSpecSchema).default([]),
    })
    .default({ fire: [], notFire: [] }),
  incidents: z.number().int().nonnegative().optional(),
});
export type Expectations = z.output<typeof ExpectationsSchema>;

export function expectationsFile(scenarioFile: string): string {
  return scenarioFile.replace(/\.ndjson$/, '') + '.expect.yml';
}

/** The scenario's expectations, or undefined when it has no expectations file. */
export function loadExpectations(scenarioFile: string): Expectations | undefined {
  const file = expectationsFile(scenarioFile);
  return existsSync(file) ? readYamlFile(file, ExpectationsSchema, 'VGL_SCENARIO_EXPECT_INVALID') : undefined;
}

export interface ExpectationResult {
  failures: string[];
}

const describeSpec = (spec: AlertSpec): string => `"${spec.rule}"${spec.entity ? ` on ${spec.entity.type}:${spec.entity.id}` : ''}`;

function matches(alert: ScenarioAlert, spec: AlertSpec): boolean {
  if (alert.rule.id !== spec.rule && alert.rule.title !== spec.rule) return false;
  return spec.entity === undefined || alert.entities.some((e) => e.type === spec.entity!.type && e.id === spec.entity!.id);
}

/** `alerts`: the scenario's own alerts; `incidents`: those holding any of them. */
export function checkExpectations(expect: Expectations, alerts: readonly ScenarioAlert[], incidents: readonly ScenarioIncident[]): ExpectationResult {
  const failures: string[] = [];
  for (const spec of expect.alerts.fire) {
    if (!alerts.some((a) => matches(a, spec))) failures.push(`expected an alert of ${describeSpec(spec)}; none fired`);
  }
  for (const spec of expect.alerts.notFire) {
    const fired = alerts.filter((a) => matches(a, spec));
    if (fired.length > 0) failures.push(`expected no alert of ${describeSpec(spec)}; ${fired.length} fired (${fired.map((a) => `${a.entity.type}:${a.entity.id}`).join(', ')})`);
  }
  if (expect.incidents !== undefined && incidents.length !== expect.incidents) {
    failures.push(`expected ${expect.incidents} incident(s); got ${incidents.length} (${incidents.map((i) => i.id).join(', ') || 'none'})`);
  }
  return { failures };
}
