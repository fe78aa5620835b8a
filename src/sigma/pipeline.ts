/**
 * Per-logsource field mappings, applied when a rule is compiled. Most sources need none: SigmaHQ
 * CloudTrail rules use raw CloudTrail names. Kubernetes audit rules do not: several SigmaHQ rules
 * name fields absent from raw audit events (`hostPath`, `capabilities`, top-level `apiGroup`), so
 * this pipeline maps them onto the audit Event (Reference: pySigma processing pipelines; the
 * rules' own descriptions say what each field means).
 */
import type { Logsource } from '../model/source';
import { pathSource, type FieldSource } from './field-source';

/** Sigma field name → where it lives in the events of one logsource. */
export type FieldMapping = Readonly<Record<string, FieldSource>>;

export interface Pipeline {
  readonly name: string;
  readonly appliesTo: (logsource: Logsource) => boolean;
  readonly fields: FieldMapping;
}

/** Pod specs in a pod create request, and the containers in them. */
const podSpec = 'requestObject.spec';
const containerLists = ['containers', 'initContainers', 'ephemeralContainers'];

function pods(event: unknown): Record<string, unknown>[] {
  const spec = (event as { requestObject?: { spec?: unknown } } | null)?.requestObject?.spec;
  return spec !== null && typeof spec === 'object' ? [spec as Record<string, unknown>] : [];
}

function containers(spec: Record<string, unknown>): Record<string, unknown>[] {
  return containerLists.flatMap((list) => {
    const value = spec[list];
    return Array.isArray(value) ? value.filter((c): c is Record<string, unknown> => c !== null && typeof c === 'object') : [];
  });
}

/**
 * `capabilities`: what makes a pod privileged, per the SigmaHQ rule "Privileged Container
 * Deployed": added Linux capabilities by name, `privileged` for securityContext.privileged, and
 * `hostNetwork` / `hostPID` / `hostIPC` when the pod shares those host namespaces.
 */
function privilegeMarkers(event: unknown): unknown[] {
  return pods(event).flatMap((spec) => {
    const markers: unknown[] = ['hostNetwork', 'hostPID', 'hostIPC'].filter((k) => spec[k] === true);
    for (const c of containers(spec)) {
      const ctx = c['securityContext'] as { privileged?: unknown; capabilities?: { add?: unknown } } | undefined;
      if (ctx?.privileged === true) markers.push('privileged');
      if (Array.isArray(ctx?.capabilities?.add)) markers.push(...ctx.capabilities.add);
    }
    return markers;
  });
}

export const kubernetesAuditPipeline: Pipeline = {
  name: 'kubernetes-audit',
  appliesTo: (ls) => ls.product === 'kubernetes' && ls.service === 'audit',
  fields: {
    hostPath: pathSource(`${podSpec}.volumes.hostPath.path`),
    capabilities: { kind: 'derived', key: 'k8s:capabilities', extract: privilegeMarkers },
    apiGroup: pathSource('objectRef.apiGroup'),
  },
};

export const pipelines: readonly Pipeline[] = [kubernetesAuditPipeline];

/** The field resolver for rules of a logsource: mapped fields first, dotted paths otherwise. */
export function fieldSourceFor(logsource: Logsource | undefined): (field: string) => FieldSource {
  const mapping = logsource ? pipelines.find((p) => p.appliesTo(logsource))?.fields : undefined;
  return (field) => (mapping && Object.hasOwn(mapping, field) ? mapping[field]! : pathSource(field));
}
