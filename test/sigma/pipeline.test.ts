/** The kubernetes/audit field mapping makes SigmaHQ's pod rules fire on real audit events (Falco's recorded traces). */
import { join } from 'node:path';
import { loadRuleSet } from '../../src/sigma';
import { readEventFile } from '../../src/sigma/event-file';
import { falcoTraces, placeholdersFile, sigmaHqRules } from './corpus-paths';

const privileged = 'c5cd1b20-36bb-488d-8c05-486be3d0cb97';
const hostPath = '402b955c-8fe0-4a8c-b635-622b4ac5f902';
const execInto = 'a1b0ca4e-7835-413e-8471-3ff2b8a66be6';

async function hits(trace: string): Promise<string[]> {
  const { ruleSet } = await loadRuleSet([join(sigmaHqRules, 'rules', 'application', 'kubernetes')], { placeholdersFile });
  const { events } = await readEventFile(join(falcoTraces, trace));
  return events.flatMap((e) => ruleSet.match(e, 'k8s_audit').map((r) => r.id));
}

test.each([
  ['create_nginx_pod_privileged.json', privileged, true],
  ['create_nginx_pod_privileged_2nd_container.json', privileged, true],
  ['create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json', privileged, true],
  ['create_nginx_pod_hostnetwork.json', privileged, true],
  ['create_nginx_pod_unprivileged.json', privileged, false],
  ['create_nginx_pod_nohostnetwork.json', privileged, false],
  ['create_nginx_pod_sensitive_mount.json', hostPath, true],
  ['create_nginx_pod_sensitive_mount_2nd_container.json', hostPath, true],
  ['create_nginx_pod_unprivileged.json', hostPath, false],
  ['exec_pod.json', execInto, true],
  ['create_deployment.json', execInto, false],
])('%s → rule %s fires: %s', async (trace, rule, expected) => {
  expect((await hits(trace)).includes(rule)).toBe(expected);
});
