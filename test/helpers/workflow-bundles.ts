/**
 * Workflow bundles built once per jest run. Bundling is webpack (about 4 s of CPU, 10 s on a loaded 2-core
 * machine) and jest gives every test file fresh modules, so the per-process cache in src/temporal/worker.ts
 * would rebuild it in each file. The first file that needs a bundle writes it into the run's directory
 * (VIGIL_TEST_RUN_DIR, made by test/global-setup.ts, removed at teardown: dist/ cannot change under a run);
 * later files, in any jest worker, load that file.
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleOption } from '@temporalio/worker';
import { dataConverter } from '../../src/temporal/data-converter';
import { workflowBundle } from '../../src/temporal/worker';
import { testLogger } from './temporal-env';

async function cachedBundle(name: string, build: () => Promise<{ code: string }>): Promise<WorkflowBundleOption> {
  const dir = process.env.VIGIL_TEST_RUN_DIR;
  if (!dir) return { code: (await build()).code };
  const codePath = path.join(dir, `${name}.js`);
  if (existsSync(codePath)) return { codePath };
  const { code } = await build();
  // Written aside, then renamed: a file running in another jest worker never loads half a bundle.
  const partial = `${codePath}.${process.pid}`;
  writeFileSync(partial, code);
  renameSync(partial, codePath);
  return { codePath };
}

/** workflows/ as `vigil worker` bundles it (compiled code and Vigil's payload converter). */
export function vigilWorkflowBundle(): Promise<WorkflowBundleOption> {
  return cachedBundle('vigil-workflows', () => workflowBundle(testLogger));
}

/** The playbook workflows plus the correlator stand-in of test/response/workflows, with Vigil's payload converter. */
export function playbookTestBundle(): Promise<WorkflowBundleOption> {
  return cachedBundle('playbook-test-workflows', () =>
    bundleWorkflowCode({
      workflowsPath: path.join(__dirname, '..', 'response', 'workflows', 'index.ts'),
      payloadConverterPath: dataConverter.payloadConverterPath,
      logger: new DefaultLogger('WARN'),
    }),
  );
}
