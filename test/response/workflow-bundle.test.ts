/**
 * The playbook workflow's code as Temporal runs it. It imports the containment action records (it
 * resolves targets itself, for deterministic history), so those records must stay free of
 * implementations: the bundle may hold the records but no Kubernetes or AWS client library and no
 * activity module. And histories written before the records existed must still replay: the fixture is a
 * dry-run playbook with every action of the time, applied and reverted (ttl 1s), recorded by main's
 * compiled worker at ebf47cd (History.encode of fetchHistory()).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { projectRoot } from '../../src/project-root';

let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: path.join(projectRoot, 'workflows/index.ts'), logger: new DefaultLogger('WARN') });
});

test('the workflow bundle holds the action records and none of the client libraries or activities', () => {
  const modules = new Set([...bundle.code.matchAll(/"\.\/([^"]+\.[jt]s)"/g)].map((m) => m[1]!));
  expect(modules).toContain('src/response/actions/registry.ts');
  expect(modules).toContain('src/response/actions/k8s-isolate-pod.ts');
  // The params schemas are zod: it is bundled (and runs in the sandbox, as every playbook test shows).
  expect([...modules].some((m) => m.startsWith('node_modules/zod/'))).toBe(true);
  const forbidden = [...modules].filter((m) => /node_modules\/(@kubernetes|@aws-sdk|@smithy)\/|^activities\//.test(m));
  expect(forbidden).toEqual([]);
});

test('a history recorded before the action registry replays: same activity types, same commands', async () => {
  // Binary protobuf: historyFromJSON of SDK 1.24 fails here ("type must be a Type", two protobufjs copies).
  const history = temporal.api.history.v1.History.decode(readFileSync(path.join(__dirname, 'histories/playbook-every-action-main-ebf47cd.binpb')));
  const scheduled = history.events!.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : []));
  expect(scheduled.filter((name) => !['readEntityState', 'findContainmentHolder'].includes(name))).toEqual([
    'isolatePod', 'scaleDeploymentToZero', 'cordonNode', 'deactivateAccessKey', 'denyAllUserPolicy', 'deletePod',
    'deleteUserPolicy', 'activateAccessKey', 'uncordonNode', 'releasePod',
  ]);
  await Worker.runReplayHistory({ workflowBundle: bundle }, history, 'compat-1');
});
