/**
 * `vigil approve|deny` and `vigil playbooks keep|release` act as the OS user who runs them: the user is
 * mapped to an approver identity by rules/responses `operators`, `--as` works only for identities the
 * operator may act for, and the decision records both (`by` the identity, `actor` the OS user, via cli).
 * Real CLI processes against playbook runs on a real Temporal dev server.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { playbookStatusQuery } from '../../workflows/playbook/messages';
import { runVigilAsync } from '../helpers/vigil-process';
import { approversYaml, bindingFrom, oncallApprovalYaml, podAlert, responseConfig } from './fixtures';
import { startPlaybookHarness, waitForState, type PlaybookHarness } from './harness';

const osUser = userInfo().username;
const bindingsYaml = oncallApprovalYaml('cli-approve');
const responses = responseConfig(bindingsYaml);

let harness: PlaybookHarness;

beforeAll(async () => {
  harness = await startPlaybookHarness('cli-approvals');
});

afterAll(async () => {
  await harness?.teardown();
});

/** A rules folder whose responses map this machine's OS user as `operators` says (YAML body, or none). */
function cliEnv(operators: string | undefined): Record<string, string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-cli-rules-'));
  mkdirSync(path.join(dir, 'responses'));
  writeFileSync(path.join(dir, 'responses', 'approvers.yml'), approversYaml);
  if (operators !== undefined) writeFileSync(path.join(dir, 'responses', 'operators.yml'), `operators:\n  ${JSON.stringify(osUser)}: ${operators}\n`);
  return { TEMPORAL_ADDRESS: harness.address, VIGIL_RULES_DIR: dir };
}

async function awaitingRun() {
  const handle = await harness.startPlaybook(podAlert(), bindingFrom(bindingsYaml, 'cli-approve'));
  await waitForState(handle, 'awaiting_approval');
  return handle;
}

async function expectUntouched(workflowId: string): Promise<void> {
  const status = await harness.client.workflow.getHandle(workflowId).query(playbookStatusQuery);
  expect(status).toEqual(expect.objectContaining({ state: 'awaiting_approval', decisions: [], refused: [] }));
}

test('an OS user missing from rules/responses operators is refused (VGL_OPERATOR_UNKNOWN), --as or not', async () => {
  await harness.withWorker({ dryRun: true, responses }, async () => {
    const handle = await awaitingRun();
    const env = cliEnv(undefined);
    for (const args of [['approve', handle.workflowId], ['approve', handle.workflowId, '--as', 'alice'], ['playbooks', 'release', handle.workflowId, '--as', 'alice']]) {
      const run = await runVigilAsync(args, env);
      expect([args.join(' '), run.status]).toEqual([args.join(' '), 2]);
      expect(run.stderr).toMatch(new RegExp(`^VGL_OPERATOR_UNKNOWN: .*${osUser}`));
    }
    await expectUntouched(handle.workflowId);
    await handle.terminate('test done');
  });
});

test('a mapped OS user decides as their identity; --as someone else needs actFor (VGL_OPERATOR_ACT_AS)', async () => {
  await harness.withWorker({ dryRun: true, responses }, async () => {
    const handle = await awaitingRun();
    const env = cliEnv('{ identity: bob }');
    const impersonation = await runVigilAsync(['approve', handle.workflowId, '--as', 'alice'], env);
    expect(impersonation.status).toBe(2);
    expect(impersonation.stderr).toMatch(/^VGL_OPERATOR_ACT_AS: .*alice/);
    await expectUntouched(handle.workflowId);

    const own = await runVigilAsync(['approve', handle.workflowId, '--reason', 'checked the pod'], env);
    expect(own.stderr).toBe('');
    expect(own.stdout).toMatch(new RegExp(`^approved ${handle.workflowId} as bob \\(OS user ${osUser}\\)`));
    expect((await handle.result()).decisions).toEqual([{ decision: 'approve', by: 'bob', actor: osUser, via: 'cli', reason: 'checked the pod', at: expect.any(Number) }]);
  });
});

test('an operator allowed to act for others decides with --as, and the OS user is recorded as who acted', async () => {
  await harness.withWorker({ dryRun: true, responses }, async () => {
    const handle = await awaitingRun();
    const run = await runVigilAsync(['deny', handle.workflowId, '--as', 'alice'], cliEnv('{ identity: bob, actFor: [alice] }'));
    expect(run.stderr).toBe('');
    expect((await handle.result()).decisions).toEqual([expect.objectContaining({ decision: 'deny', by: 'alice', actor: osUser, via: 'cli' })]);
  });
});

test("the operator's identity is tenant-scoped: a run of another tenant is not found and gets nothing", async () => {
  await harness.withWorker({ dryRun: true, responses }, async () => {
    const handle = await awaitingRun(); // tenant acme; gina serves globex (and is in the asked group)
    const run = await runVigilAsync(['approve', handle.workflowId], cliEnv('{ identity: gina }'));
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^VGL_PLAYBOOK_NOT_FOUND: /);
    await expectUntouched(handle.workflowId);
    await handle.terminate('test done');
  });
});
