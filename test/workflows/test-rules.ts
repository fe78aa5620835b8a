/**
 * The rules the correlator tests run: a handful of Linux process detection rules and correlations over them,
 * all grouped by `Hostname` so they run in host correlators. Detections are built directly (no Sigma
 * matching): `detection()` stamps the same rule references ingest would.
 */
import type { Detection, RuleLevel, RuleRef } from '../../src/model/detection';
import type { EntityRef } from '../../src/model/entity';

const detectionRules = {
  /** Low: adds risk, feeds the burst and spread correlations, never alerts alone. */
  t_recon: { id: '6a0b3c1e-0001-4c1a-9a00-000000000001', level: 'low', tags: ['attack.discovery', 'attack.t1082'] },
  /** High: alerts on its own (a process source binds no playbook below critical). */
  t_exec: { id: '6a0b3c1e-0002-4c1a-9a00-000000000002', level: 'high', tags: ['attack.execution', 'attack.t1059'] },
  t_login: { id: '6a0b3c1e-0003-4c1a-9a00-000000000003', level: 'low', tags: ['attack.initial_access'] },
  t_priv: { id: '6a0b3c1e-0004-4c1a-9a00-000000000004', level: 'medium', tags: ['attack.privilege_escalation'] },
  /** The absence pair: t_a not followed by t_b. */
  t_a: { id: '6a0b3c1e-0005-4c1a-9a00-000000000005', level: 'low', tags: ['attack.defense_evasion'] },
  t_b: { id: '6a0b3c1e-0006-4c1a-9a00-000000000006', level: 'informational', tags: [] },
  /** Feeds nothing: load for continue-as-new. */
  t_noise: { id: '6a0b3c1e-0007-4c1a-9a00-000000000007', level: 'informational', tags: [] },
} satisfies Record<string, { id: string; level: RuleLevel; tags: string[] }>;

export type TestRuleName = keyof typeof detectionRules;

export function ruleRef(name: TestRuleName): RuleRef {
  const r = detectionRules[name];
  return { id: r.id, name, title: `Test ${name}`, level: r.level, tags: r.tags };
}

export const correlationIds = {
  burst: '6a0b3c1e-0101-4c1a-9a00-000000000101',
  spread: '6a0b3c1e-0102-4c1a-9a00-000000000102',
  loginThenPriv: '6a0b3c1e-0103-4c1a-9a00-000000000103',
  aNotB: '6a0b3c1e-0104-4c1a-9a00-000000000104',
};

/** Absence timespan: short, so the durable timer fires within a test. */
export const absenceTimespanMs = 2_000;

function sigmaRule(name: TestRuleName): string {
  const r = ruleRef(name);
  return `title: ${r.title}
id: ${r.id}
name: ${name}
status: test
tags: [${r.tags.join(', ')}]
logsource: { product: linux, category: process_creation }
detection:
  selection:
    CommandLine|contains: ${name}
  condition: selection
level: ${r.level}
`;
}

export const sigmaFiles: Record<string, string> = Object.fromEntries(
  (Object.keys(detectionRules) as TestRuleName[]).map((name) => [`${name}.yml`, sigmaRule(name)]),
);

export const correlationFiles: Record<string, string> = {
  'correlations.yml': `title: Test recon burst
id: ${correlationIds.burst}
name: t_burst
status: test
level: medium
tags: [attack.discovery, attack.t1082]
correlation:
  type: event_count
  rules: [t_recon]
  group-by: [Hostname]
  timespan: 2m
  condition: { gte: 4 }
---
title: Test recon by many users
id: ${correlationIds.spread}
name: t_spread
status: test
level: medium
correlation:
  type: value_count
  rules: [t_recon]
  group-by: [Hostname]
  timespan: 5m
  condition: { field: User, gte: 3 }
---
title: Test login then privilege escalation
id: ${correlationIds.loginThenPriv}
name: t_login_then_priv
status: test
level: high
tags: [attack.privilege_escalation, attack.t1068]
correlation:
  type: temporal_ordered
  rules: [t_login, t_priv]
  group-by: [Hostname]
  timespan: 3m
---
title: Test A not followed by B
id: ${correlationIds.aNotB}
name: t_a_not_b
status: test
level: high
tags: [attack.defense_evasion, attack.t1562]
correlation:
  type: temporal_ordered
  rules: [t_a, t_b]
  group-by: [Hostname, User]
  timespan: ${absenceTimespanMs / 1000}s
  condition: t_a and not t_b
`,
};

/**
 * A process detection of `rule` on `host` by `user` (fields as the entity mapping and correlations read them),
 * stamped with the worker's rule set version as ingest would (another version makes the correlator re-fetch rules).
 */
export function detection(tenant: string, rulesetVersion: string, eventId: string, rule: TestRuleName, host: EntityRef, time: number, user = 'alice'): Detection {
  return {
    eventId,
    tenant,
    source: 'process',
    time,
    rules: [ruleRef(rule)],
    entities: [host],
    fields: { Hostname: host.id, User: user, CommandLine: `${rule} --by ${user}` },
    summary: `${user}@${host.id}: ${rule}`,
    rulesetVersion,
  };
}
