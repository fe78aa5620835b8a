/**
 * The playbook workflow imports the containment action records (it resolves targets itself, for
 * deterministic history), so those records must stay free of implementations: the workflow bundle may
 * hold the records but no Kubernetes or AWS client library and no activity module.
 */
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { projectRoot } from '../../src/project-root';

test('the workflow bundle holds the action records and none of the client libraries or activities', async () => {
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(projectRoot, 'workflows/index.ts'), logger: new DefaultLogger('WARN') });
  const modules = new Set([...code.matchAll(/"\.\/([^"]+\.[jt]s)"/g)].map((m) => m[1]!));
  expect(modules).toContain('src/response/actions/registry.ts');
  expect(modules).toContain('src/response/actions/k8s-isolate-pod.ts');
  // The params schemas are zod: it is bundled (and runs in the sandbox, as every playbook test shows).
  expect([...modules].some((m) => m.startsWith('node_modules/zod/'))).toBe(true);
  const forbidden = [...modules].filter((m) => /node_modules\/(@kubernetes|@aws-sdk|@smithy)\/|^activities\//.test(m));
  expect(forbidden).toEqual([]);
});
