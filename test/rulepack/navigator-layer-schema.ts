/**
 * The ATT&CK Navigator layer file format, version 4.5, as zod: written from the format definition
 * (mitre-attack/attack-navigator layers/spec/v4.5/layerformat.md), independently of Vigil's exporter, so a
 * layer that passes here is one Navigator loads. Required properties are required, every property has the
 * documented type, enumerations are closed, and the documented constraints (gradient maxValue > minValue,
 * at least two gradient colours, links with a protocol) are checked.
 */
import { z } from 'zod';

const hexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/);
const metadata = z.union([z.strictObject({ name: z.string(), value: z.string() }), z.strictObject({ divider: z.boolean() })]);
const link = z.union([z.strictObject({ label: z.string(), url: z.string().regex(/^[a-z][a-z0-9+.-]*:\/\//) }), z.strictObject({ divider: z.boolean() })]);
/** "Must be at least 4.9.0" for layer 4.5. */
const navigatorVersion = z.string().regex(/^\d+\.\d+(\.\d+)?$/).refine((v) => {
  const [major = 0, minor = 0] = v.split('.').map(Number);
  return major > 4 || (major === 4 && minor >= 9);
}, 'navigator version must be at least 4.9.0');

export const NavigatorTechniqueSchema = z.strictObject({
  techniqueID: z.string().regex(/^T\d{4}(\.\d{3})?$/),
  tactic: z.string().regex(/^[a-z]+(-[a-z]+)*$/).optional(),
  comment: z.string().optional(),
  enabled: z.boolean().optional(),
  score: z.number().optional(),
  color: z.string().optional(),
  metadata: z.array(metadata).optional(),
  links: z.array(link).optional(),
  showSubtechniques: z.boolean().optional(),
});

export const NavigatorLayerSchema = z
  .strictObject({
    versions: z.strictObject({ attack: z.string().optional(), navigator: navigatorVersion, layer: z.literal('4.5') }).optional(),
    name: z.string(),
    description: z.string().optional(),
    domain: z.enum(['enterprise-attack', 'mobile-attack', 'ics-attack']),
    customDataURL: z.string().optional(),
    filters: z.strictObject({ platforms: z.array(z.string()).optional() }).optional(),
    sorting: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).optional(),
    layout: z
      .strictObject({
        layout: z.enum(['side', 'flat', 'mini']).optional(),
        showID: z.boolean().optional(),
        showName: z.boolean().optional(),
        showAggregateScores: z.boolean().optional(),
        countUnscored: z.boolean().optional(),
        aggregateFunction: z.enum(['average', 'min', 'max', 'sum']).optional(),
        expandedSubtechniques: z.enum(['none', 'all', 'annotated']).optional(),
      })
      .optional(),
    hideDisabled: z.boolean().optional(),
    techniques: z.array(NavigatorTechniqueSchema).optional(),
    gradient: z.strictObject({ colors: z.array(hexColor).min(2), minValue: z.number(), maxValue: z.number() }).refine((g) => g.maxValue > g.minValue, 'gradient maxValue must be > minValue').optional(),
    legendItems: z.array(z.strictObject({ label: z.string(), color: hexColor })).optional(),
    showTacticRowBackground: z.boolean().optional(),
    tacticRowBackground: hexColor.optional(),
    selectTechniquesAcrossTactics: z.boolean().optional(),
    selectSubtechniquesWithParent: z.boolean().optional(),
    selectVisibleTechniques: z.boolean().optional(),
    metadata: z.array(metadata).optional(),
    links: z.array(link).optional(),
  });
