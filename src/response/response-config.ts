/**
 * rules/responses/*.yml: who may approve (identities with the tenants they serve, their chat ids and
 * aliases, groups), which OS users the CLI maps to which identities (operators), and which playbooks run
 * for which alerts (bindings with parameters). Every file may hold any of the four top-level keys; files
 * are merged. A broken binding or operator is reported with file:line:col and skipped while the others
 * load (habit 4); the worker logs the errors at start.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { z } from 'zod';
import { VigilError, type Location } from '../error-codes';
import type { RuleLevel } from '../model/detection';
import { SourceKindSchema } from '../model/source';
import { ruleLevels, type ResponseBinding } from './binding-match';
import { PlaybookParamsSchema, type PlaybookSpec, type ResolvedApproverGroup } from './playbook-spec';
import { TenantScopeSchema, type TenantScope } from './tenant-scope';

const ApproverSchema = z
  .object({
    /** Chat (Slack) user id that maps to this identity. */
    chat: z.string().min(1).optional(),
    /** Other names of the same person in alerts (e-mail, IAM user, ARN): used to refuse self-approval. */
    aliases: z.array(z.string().min(1)).default([]),
    /** Tenants whose playbook runs this identity may see and decide (and its tokens, chat user, operators). */
    tenants: TenantScopeSchema,
  })
  .strict();

/** An OS user of the machine `vigil approve|deny` runs on, and whom they may decide as. */
const OperatorSchema = z
  .object({
    /** The approver identity their decisions are made as. */
    identity: z.string().min(1),
    /** Other identities they may name with --as (a shared on-call shell, a bot acting for people). */
    actFor: z.array(z.string().min(1)).default([]),
  })
  .strict();

const BindingSchema = z
  .object({
    playbook: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'playbook names are lower-case kebab-case'),
    /** `alert`: each matching alert starts it; `incident`: an incident starts it once, when it first matches. */
    on: z.enum(['alert', 'incident']).default('alert'),
    match: z
      .object({
        ruleIds: z.array(z.string()).default([]),
        ruleNames: z.array(z.string()).default([]),
        tags: z.array(z.string()).default([]),
        minLevel: z.enum(ruleLevels as [RuleLevel, ...RuleLevel[]]).optional(),
        /** Only alerts whose events come from these sources (a pod playbook must not run for CloudTrail). */
        sources: z.array(SourceKindSchema).default([]),
      })
      .strict(),
    params: PlaybookParamsSchema.prefault({}),
  })
  .strict();

const FileSchema = z
  .object({
    approvers: z.record(z.string(), ApproverSchema).default({}),
    groups: z.record(z.string(), z.array(z.string().min(1))).default({}),
    operators: z.record(z.string(), OperatorSchema).default({}),
    bindings: z.array(z.unknown()).default([]),
  })
  .strict();

export interface ApproverIdentity {
  name: string;
  chat?: string;
  aliases: string[];
  tenants: TenantScope;
}

export interface Operator {
  identity: string;
  actFor: string[];
}

export interface ResponseConfig {
  approvers: Map<string, ApproverIdentity>;
  groups: Map<string, string[]>;
  /** OS user name → the identities the CLI decides as for them. */
  operators: Map<string, Operator>;
  bindings: ResponseBinding[];
}

export interface LoadedResponseConfig {
  config: ResponseConfig;
  errors: VigilError[];
}

interface ParsedFile {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  data: z.infer<typeof FileSchema>;
}

function locate(parsed: Pick<ParsedFile, 'file' | 'doc' | 'lines'>, fieldPath: PropertyKey[]): Location {
  const field = fieldPath.map(String).join('.');
  // Walk up to the closest node that exists (a missing key has no node of its own).
  for (let depth = fieldPath.length; depth >= 0; depth--) {
    const node = parsed.doc.getIn(fieldPath.slice(0, depth), true);
    if (isNode(node) && node.range) {
      const pos = parsed.lines.linePos(node.range[0]);
      return { file: parsed.file, line: pos.line, col: pos.col, field: field || undefined };
    }
  }
  return { file: parsed.file, field: field || undefined };
}

function zodError(parsed: Pick<ParsedFile, 'file' | 'doc' | 'lines'>, prefix: PropertyKey[], error: z.ZodError): VigilError {
  const issue = error.issues[0]!;
  return new VigilError('VGL_RESPONSE_CONFIG', issue.message, locate(parsed, [...prefix, ...issue.path]));
}

function parseFile(file: string, errors: VigilError[]): ParsedFile | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const pos = lines.linePos(first.pos[0]);
    errors.push(new VigilError('VGL_RESPONSE_CONFIG', first.message.split('\n')[0]!, { file, line: pos.line, col: pos.col }));
    return undefined;
  }
  const result = FileSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    errors.push(zodError({ file, doc, lines }, [], result.error));
    return undefined;
  }
  return { file, doc, lines, data: result.data };
}

function resolveGroups(config: ResponseConfig, names: string[]): ResolvedApproverGroup[] | string {
  const groups: ResolvedApproverGroup[] = [];
  for (const name of names) {
    const members = config.groups.get(name);
    if (!members) return `unknown approver group "${name}"`;
    const resolved = [];
    for (const member of members) {
      const identity = config.approvers.get(member);
      if (!identity) return `group "${name}" names unknown approver "${member}"`;
      resolved.push({ name: identity.name, aliases: identity.aliases, ...(identity.chat ? { chatUserId: identity.chat } : {}) });
    }
    groups.push({ name, members: resolved });
  }
  return groups;
}

/** Loads every `*.yml`/`*.yaml` in `dir` (sorted, so merge order is stable). */
export function loadResponseConfig(dir: string): LoadedResponseConfig {
  const errors: VigilError[] = [];
  const config: ResponseConfig = { approvers: new Map(), groups: new Map(), operators: new Map(), bindings: [] };
  const files = readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => parseFile(path.join(dir, name), errors))
    .filter((parsed): parsed is ParsedFile => parsed !== undefined);

  // Identities and groups first: bindings in any file may name groups from any other.
  for (const parsed of files) {
    for (const [name, approver] of Object.entries(parsed.data.approvers)) {
      config.approvers.set(name, { name, aliases: approver.aliases, tenants: approver.tenants, ...(approver.chat ? { chat: approver.chat } : {}) });
    }
    for (const [name, members] of Object.entries(parsed.data.groups)) config.groups.set(name, members);
  }
  for (const parsed of files) {
    for (const [osUser, operator] of Object.entries(parsed.data.operators)) {
      const unknown = [operator.identity, ...operator.actFor].find((name) => !config.approvers.has(name));
      if (unknown !== undefined) {
        const field = unknown === operator.identity ? 'identity' : 'actFor';
        errors.push(new VigilError('VGL_RESPONSE_CONFIG', `operator "${osUser}" names unknown approver "${unknown}"`, locate(parsed, ['operators', osUser, field])));
        continue;
      }
      config.operators.set(osUser, operator);
    }
  }
  for (const parsed of files) {
    parsed.data.bindings.forEach((raw, index) => {
      const prefix = ['bindings', index];
      const result = BindingSchema.safeParse(raw);
      if (!result.success) {
        errors.push(zodError(parsed, prefix, result.error));
        return;
      }
      const { approval, ...rest } = result.data.params;
      let params: PlaybookSpec = rest;
      if (approval) {
        const groups = resolveGroups(config, approval.groups);
        if (typeof groups === 'string') {
          errors.push(new VigilError('VGL_RESPONSE_CONFIG', groups, locate(parsed, [...prefix, 'params', 'approval', 'groups'])));
          return;
        }
        params = { ...rest, approval: { ...approval, groups } };
      }
      config.bindings.push({ playbook: result.data.playbook, on: result.data.on, match: result.data.match, params });
    });
  }
  return { config, errors };
}

/** The approver identity a chat user id maps to, if any. */
export function identityOfChatUser(config: ResponseConfig, chatUserId: string): ApproverIdentity | undefined {
  for (const identity of config.approvers.values()) if (identity.chat === chatUserId) return identity;
  return undefined;
}
