/**
 * Per-logsource field mappings, applied when a rule is compiled. SigmaHQ CloudTrail rules use raw
 * CloudTrail names and need none. Kubernetes audit rules do: several SigmaHQ rules name fields absent
 * from raw audit events (`hostPath`, `capabilities`, top-level `apiGroup`). Linux process rules do too:
 * a process start is seen by the procfs collector (already in Sigma's process_creation names), by auditd
 * (an EXECVE record: exe, a0..aN, cwd, pid, uid) and by Falco (output_fields `proc.*`), so the
 * process_creation pipeline resolves Image, CommandLine, User... from whichever of the three the event
 * is, and makes auditd and Falco events matchable by process_creation rules (`alsoFrom`).
 * Reference: pySigma processing pipelines; proc(5); auditd's record types; Falco's field reference.
 */
import type { Logsource, SourceKind } from '../model/source';
import { pathSource, type FieldSource } from './field-source';

/** Sigma field name → where it lives in the events of one logsource. */
export type FieldMapping = Readonly<Record<string, FieldSource>>;

export interface Pipeline {
  readonly name: string;
  readonly appliesTo: (logsource: Logsource) => boolean;
  /** Sources, besides those of the rules' own logsource, whose events the mapping makes matchable. */
  readonly alsoFrom?: readonly SourceKind[];
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

type Raw = Record<string, unknown>;

function asObject(v: unknown): Raw | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined;
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

/** The execve record of an auditd event (its SYSCALL, CWD, PATH, PROCTITLE siblings are not a second process start). */
const auditExec = (e: Raw): boolean => e['type'] === 'EXECVE';

/** A Falco alert about a process: it has proc.* fields, and if it names its syscall, that is an exec. */
function falcoProcess(e: Raw): Raw | undefined {
  const fields = asObject(e['output_fields']);
  if (!fields || !present(fields['proc.cmdline'] ?? fields['proc.exepath'] ?? fields['proc.name'])) return undefined;
  const type = fields['evt.type'];
  return type === undefined || type === 'execve' || type === 'execveat' ? fields : undefined;
}

/** argv of an EXECVE record (argc, a0..aN; the decoder has joined split arguments), else its proctitle. */
function auditCommandLine(e: Raw): unknown {
  const argc = Number(e['argc']);
  if (Number.isInteger(argc) && argc > 0) {
    const args = Array.from({ length: argc }, (_, i) => e[`a${i}`]).filter((a): a is string => typeof a === 'string');
    if (args.length === argc) return args.join(' ');
  }
  return e['proctitle'];
}

/**
 * A process_creation field: the procfs name if the event has it, else the auditd value (EXECVE records
 * only), else the Falco value. First present wins, so one event yields one value per field.
 */
function processField(name: string, audit: ((e: Raw) => unknown) | undefined, falco: readonly string[]): FieldSource {
  const extract = (event: unknown): unknown[] => {
    const e = asObject(event);
    if (!e) return [];
    if (present(e[name])) return [e[name]];
    if (audit && auditExec(e)) {
      const v = audit(e);
      return present(v) ? [v] : [];
    }
    const fields = falcoProcess(e);
    const v = fields ? falco.map((f) => fields[f]).find(present) : undefined;
    return v === undefined ? [] : [v];
  };
  return { kind: 'derived', key: `process:${name}`, extract };
}

export const processCreationPipeline: Pipeline = {
  name: 'linux-process-creation',
  appliesTo: (ls) => ls.product === 'linux' && ls.category === 'process_creation',
  alsoFrom: ['auditd', 'falco'],
  fields: {
    Image: processField('Image', (e) => e['exe'], ['proc.exepath', 'proc.exe']),
    CommandLine: processField('CommandLine', auditCommandLine, ['proc.cmdline']),
    ParentImage: processField('ParentImage', undefined, ['proc.pexepath', 'proc.pexe']),
    ParentCommandLine: processField('ParentCommandLine', undefined, ['proc.pcmdline']),
    // Enriched audit logs carry the user name (UID); raw ones only the number.
    User: processField('User', (e) => e['UID'] ?? e['uid'], ['user.name']),
    CurrentDirectory: processField('CurrentDirectory', (e) => e['cwd'], ['proc.cwd']),
    ProcessId: processField('ProcessId', (e) => e['pid'], ['proc.pid']),
    ParentProcessId: processField('ParentProcessId', (e) => e['ppid'], ['proc.ppid']),
    // procfs events name the host Hostname; auditd and Falco events hostname.
    Hostname: { kind: 'paths', key: 'process:Hostname', sources: [pathSource('Hostname'), pathSource('hostname')] },
    PodName: processField('PodName', undefined, ['k8s.pod.name']),
    PodNamespace: processField('PodNamespace', undefined, ['k8s.ns.name']),
  },
};

/** auditd rules keep the raw record names (SigmaHQ's use them) and may also use the process_creation names. */
const auditdAliases = (...paths: string[]): FieldSource => ({ kind: 'paths', key: `auditd:${paths.join('|')}`, sources: paths.map(pathSource) });

export const auditdPipeline: Pipeline = {
  name: 'linux-auditd',
  appliesTo: (ls) => ls.product === 'linux' && ls.service === 'auditd',
  fields: {
    Image: auditdAliases('exe'),
    CommandLine: auditdAliases('proctitle'),
    User: auditdAliases('UID', 'uid'),
    CurrentDirectory: auditdAliases('cwd'),
    ProcessId: auditdAliases('pid'),
    ParentProcessId: auditdAliases('ppid'),
    Hostname: auditdAliases('hostname'),
  },
};

export const pipelines: readonly Pipeline[] = [kubernetesAuditPipeline, processCreationPipeline, auditdPipeline];

/** The field resolver for rules of a logsource: mapped fields first, dotted paths otherwise. */
export function fieldSourceFor(logsource: Logsource | undefined): (field: string) => FieldSource {
  const mapping = logsource ? pipelines.find((p) => p.appliesTo(logsource))?.fields : undefined;
  return (field) => (mapping && Object.hasOwn(mapping, field) ? mapping[field]! : pathSource(field));
}
