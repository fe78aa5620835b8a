/**
 * Who may decide on a playbook run. Pure (no I/O, no Temporal), so the playbook workflow's update
 * validator and signal handlers use the same rules. Order of checks: closed → unknown/unasked approver →
 * subject of the alert → already decided, so the refusal names the most fundamental problem.
 */
import type { ErrorCode } from '../error-codes';
import type { Alert } from '../model/alert';
import type { ResolvedApproverGroup } from './playbook-spec';

export type AuthorizationResult = { ok: true } | { ok: false; code: ErrorCode; refusal: string };

export interface AuthorizationContext {
  /** Whether the run is waiting for a decision at all. */
  open: boolean;
  /** The groups asked so far: the first at the start, one more at each escalation. */
  askedGroups: ResolvedApproverGroup[];
  /** Lower-cased identities of the alert's subject (see alertSubjects). */
  subjects: string[];
  /** Identities that already decided on this run. */
  decidedBy: string[];
}

/**
 * Alert fields that name the person who did the thing (CloudTrail, Kubernetes audit, process/auditd,
 * Falco). Reference: CloudTrail userIdentity element; k8s audit.k8s.io/v1 Event.user; Falco output_fields.
 */
const subjectFields = [
  'userIdentity.userName',
  'userIdentity.arn',
  'userIdentity.principalId',
  'user.username',
  'user.name',
  'ka.user.name',
  'auid',
  'uid_name',
];

/** Everyone the alert is about, lower-cased: every user/account entity its finding names, plus identity fields. */
export function alertSubjects(alert: Alert): string[] {
  const subjects = new Set<string>();
  const add = (value: unknown): void => {
    if (typeof value !== 'string' || value === '') return;
    subjects.add(value.toLowerCase());
    // An ARN's or path's last segment is the bare user name (arn:aws:iam::1:user/alice → alice).
    const tail = value.split(/[/:]/).pop();
    if (tail) subjects.add(tail.toLowerCase());
  };
  // Alerts raised before `entities` existed (playbook histories) name only their entity.
  for (const entity of (alert.entities as Alert['entities'] | undefined) ?? [alert.entity]) if (entity.type === 'user' || entity.type === 'account') add(entity.id);
  for (const field of subjectFields) {
    add(alert.group[field]);
    for (const event of alert.events) add(event.fields[field]);
  }
  return [...subjects];
}

export function authorizeDecision(ctx: AuthorizationContext, by: string): AuthorizationResult {
  if (!ctx.open) return { ok: false, code: 'VGL_APPROVAL_CLOSED', refusal: 'this playbook run is not waiting for a decision' };
  const member = ctx.askedGroups.flatMap((group) => group.members).find((approver) => approver.name === by);
  if (!member) {
    const groups = ctx.askedGroups.map((group) => group.name).join(', ');
    return { ok: false, code: 'VGL_APPROVAL_UNAUTHORIZED', refusal: `${by} is not in the asked approver groups (${groups})` };
  }
  const names = [member.name, ...member.aliases].map((name) => name.toLowerCase());
  if (names.some((name) => ctx.subjects.includes(name))) {
    return { ok: false, code: 'VGL_APPROVAL_SELF', refusal: `${by} is the subject of this alert and cannot decide it` };
  }
  if (ctx.decidedBy.includes(by)) return { ok: false, code: 'VGL_APPROVAL_DUPLICATE', refusal: `${by} has already decided` };
  return { ok: true };
}
