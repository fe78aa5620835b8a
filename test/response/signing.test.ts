/** Request signing: the IAM fake's SigV4 check against AWS's published example, Slack v0 signatures, slash command parsing. */
import { verifySigV4 } from '../helpers/fakes/aws-iam';
import { slackSignature, verifySlackSignature } from '../../src/chatops/slack-signature';
import { parseSlashCommand } from '../../src/chatops/slash-command';

test('the IAM fake\'s SigV4 check accepts the AWS General Reference example (IAM ListUsers, 2015-08-30) and nothing altered', async () => {
  const credentials = [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }];
  const example = {
    method: 'GET',
    url: new URL('https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08'),
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      host: 'iam.amazonaws.com',
      'x-amz-date': '20150830T123600Z',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    },
    body: '',
  };
  expect(await verifySigV4(example, credentials)).toBe('ok');
  expect(await verifySigV4({ ...example, url: new URL('https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-09') }, credentials)).toBe('mismatch');
  expect(await verifySigV4({ ...example, headers: { ...example.headers, 'x-amz-date': '20150830T123601Z' } }, credentials)).toBe('mismatch');
  expect(await verifySigV4(example, [{ ...credentials[0]!, secretAccessKey: 'other' }])).toBe('mismatch');
  expect(await verifySigV4(example, [{ accessKeyId: 'AKIDOTHER', secretAccessKey: 'x' }])).toBe('unknown-key');
});

test('Slack v0 signature reproduces Slack\'s documented example', () => {
  // From api.slack.com/authentication/verifying-requests-from-slack.
  const body = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
  expect(slackSignature('8f742231b10e8888abcd99yyyzzz85a5', '1531420618', body)).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
});

test.each([
  ['valid', { timestamp: '1000', signature: slackSignature('secret', '1000', 'a=b') }, 1000 + 299, true],
  ['stale', { timestamp: '1000', signature: slackSignature('secret', '1000', 'a=b') }, 1000 + 301, false],
  ['from the future', { timestamp: '1000', signature: slackSignature('secret', '1000', 'a=b') }, 1000 - 301, false],
  ['forged', { timestamp: '1000', signature: slackSignature('other', '1000', 'a=b') }, 1000, false],
  ['missing', { timestamp: undefined, signature: undefined }, 1000, false],
])('Slack signature check: %s', (_name, headers, now, ok) => {
  expect(verifySlackSignature('secret', headers, 'a=b', now).ok).toBe(ok);
});

test.each([
  ['approve wf-1 looks fine', { kind: 'decide', decision: 'approve', workflowId: 'wf-1', reason: 'looks fine' }],
  ['DENY wf-2', { kind: 'decide', decision: 'deny', workflowId: 'wf-2' }],
  ['release wf-3 done', { kind: 'containment', command: 'release', workflowId: 'wf-3', reason: 'done' }],
  ['status wf-4', { kind: 'status', workflowId: 'wf-4' }],
  ['list', { kind: 'list' }],
  ['approve', { kind: 'help', problem: 'approve needs a workflow id' }],
  ['dance', { kind: 'help', problem: 'unknown command "dance"' }],
])('/vigil %s', (text, expected) => {
  expect(parseSlashCommand(text)).toEqual(expected);
});
