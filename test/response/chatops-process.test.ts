/**
 * `vigil chatops` as operators run it: a process reading its settings from the environment, serving
 * the JSON API against the shared Temporal server, refusing to start with no way to authenticate.
 */
import { sharedTemporalAddress } from '../helpers/shared-servers';
import { runVigil, startVigil, type VigilProcess } from '../helpers/vigil-process';

let chatops: VigilProcess | undefined;

afterAll(async () => {
  await chatops?.stop();
});

test('serves the approval API with env tokens; stops on SIGTERM', async () => {
  chatops = startVigil(['chatops'], {
    TEMPORAL_ADDRESS: sharedTemporalAddress(),
    VIGIL_CHATOPS_PORT: '0',
    VIGIL_API_TOKENS: 'alice=token-for-alice-0123456789',
    LOG_LEVEL: 'info',
  });
  let address: string | undefined;
  while (!address) {
    address = /"address":"(http:\/\/[^"]+)"/.exec(chatops.output())?.[1];
    if (chatops.child.exitCode !== null) throw new Error(`vigil chatops exited: ${chatops.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect((await fetch(`${address}/api/v1/playbooks?awaiting=true`)).status).toBe(401);
  const listed = await fetch(`${address}/api/v1/playbooks?awaiting=true&tenant=nobody-here`, { headers: { authorization: 'Bearer token-for-alice-0123456789' } });
  expect(listed.status).toBe(200);
  expect(await listed.json()).toEqual([]);
  await chatops.stop();
  expect(chatops.child.signalCode ?? chatops.child.exitCode).not.toBeNull();
});

test('refuses to start without a Slack signing secret or API tokens (exit 2, VGL_CONFIG_INVALID)', () => {
  const run = runVigil(['chatops'], { TEMPORAL_ADDRESS: sharedTemporalAddress() });
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(/^VGL_CONFIG_INVALID: field VIGIL_API_TOKENS: /);
});

test.each([
  // What docker-compose.yml used to ship: it passed validation, and then anyone who read the file could approve.
  [{ VIGIL_SLACK_SIGNING_SECRET: 'replace-with-the-slack-app-signing-secret' }, 'VIGIL_SLACK_SIGNING_SECRET', /placeholder/],
  [{ VIGIL_API_TOKENS: 'oncall=replace-with-a-long-random-token' }, 'VIGIL_API_TOKENS', /placeholder/],
  // A token must name an approver of rules/responses: the identity is what scopes it to tenants.
  [{ VIGIL_API_TOKENS: 'oncall=5f0c6b1e8d2a47e39b1c0a7d6e4f2b8c' }, 'VIGIL_API_TOKENS', /"oncall" is not an approver/],
])('refuses to start with %j (exit 2, VGL_CONFIG_INVALID naming the variable)', (env, variable, reason) => {
  const run = runVigil(['chatops'], { TEMPORAL_ADDRESS: sharedTemporalAddress(), ...env });
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(new RegExp(`^VGL_CONFIG_INVALID: field ${variable}: `));
  expect(run.stderr).toMatch(reason);
});
