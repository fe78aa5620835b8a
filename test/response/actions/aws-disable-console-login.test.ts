/**
 * `aws.disableConsoleLogin` in a playbook on a real Temporal server against the IAM fake: the user's
 * console password is deleted and stays deleted when the TTL reverts the rest of the containment (it has
 * no undo), a user without one counts as done, and a dry run sends nothing.
 */
import type { PlaybookReport } from '../../../src/model/playbook';
import { startAwsIamFake, type AwsIamFake } from '../../helpers/fakes/aws-iam';
import { bindingFrom, podAlert, responseConfig } from '../fixtures';
import { startPlaybookHarness, type PlaybookHarness } from '../harness';

const credentials = { accessKeyId: 'AKIDVIGILTEST', secretAccessKey: 'c2VjcmV0LWZvci10ZXN0cw' };
let harness: PlaybookHarness;
let iam: AwsIamFake;

beforeAll(async () => {
  harness = await startPlaybookHarness('action-aws-disable-console-login');
  iam = await startAwsIamFake([credentials], { accessKeys: new Map(), userPolicies: new Map(), loginProfiles: new Set() });
});

afterAll(async () => {
  await iam?.close();
  await harness?.teardown();
});

const userAlert = (user: string) =>
  podAlert({ entity: { type: 'user', id: `arn:aws:iam::111122223333:user/${user}` }, events: [{ id: 'ct', time: 1, source: 'cloudtrail', fields: { 'userIdentity.userName': user, 'userIdentity.accessKeyId': `AKIA${user.toUpperCase()}` } }] });

function run(yaml: string, user: string): Promise<PlaybookReport> {
  return harness.withWorker({ dryRun: false, responses: responseConfig(yaml), awsIam: { region: 'us-east-1', endpoint: iam.url, credentials } }, async () => {
    const handle = await harness.startPlaybook(userAlert(user), bindingFrom(yaml, 'lock-out'));
    const report = await handle.result();
    await harness.replay(handle);
    return report;
  });
}

const binding = (steps: string, extra = '') => `
bindings:
  - playbook: lock-out
    match: {}
    params:
      notify: []
      containment: ${steps}
${extra}`;

test('deletes the console password; when the TTL reverts the key it stays deleted (no undo exists)', async () => {
  iam.state.loginProfiles!.add('mallory');
  iam.state.accessKeys.set('mallory', new Map([['AKIAMALLORY', 'Active']]));
  const before = iam.calls.length;
  const report = await run(binding('[{ action: aws.deactivateAccessKey }, { action: aws.disableConsoleLogin }]', '      ttl: 1s'), 'mallory');
  expect(report.outcome).toBe('completed');
  expect(report.containment!.applied).toEqual(['deactivated access key AKIAMALLORY of IAM user mallory', 'deleted the console password of IAM user mallory']);
  expect(iam.calls.slice(before)).toEqual(['ListAccessKeys', 'UpdateAccessKey', 'DeleteLoginProfile', 'ListAccessKeys', 'UpdateAccessKey']);
  expect(iam.state.accessKeys.get('mallory')!.get('AKIAMALLORY')).toBe('Active');
  expect(iam.state.loginProfiles!.has('mallory')).toBe(false);
});

test('a user without a console password (NoSuchEntity) counts as done; nothing is held, so the run ends at once', async () => {
  const report = await run(binding('[{ action: aws.disableConsoleLogin }]'), 'ci-bot');
  expect(report.outcome).toBe('completed');
  expect(report.containment).toEqual({ applied: ['IAM user ci-bot had no console password'] });
});

test('dry run: says what it would do and sends nothing', async () => {
  iam.state.loginProfiles!.add('alice');
  const before = iam.requests.length;
  const report = await run(binding('[{ action: aws.disableConsoleLogin }]', '      dryRun: true'), 'alice');
  expect(report.actions).toContain('[dry-run] deleted the console password of IAM user alice');
  expect(iam.requests.length).toBe(before);
  expect(iam.state.loginProfiles!.has('alice')).toBe(true);
});
