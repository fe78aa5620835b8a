/** Environment settings for response actions and the chatops server: parsed, paired, refused with the variable named. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadChatopsSettings } from '../../src/chatops/chatops-settings';
import { loadActionSettings } from '../../src/response/action-settings';

test('action settings: only configured systems appear; IAM and Kubernetes need both halves', () => {
  expect(loadActionSettings({})).toEqual({});
  const settings = loadActionSettings({
    VIGIL_SLACK_BOT_TOKEN: 'xoxb-1',
    VIGIL_SLACK_CHANNEL: 'C1',
    VIGIL_K8S_API_URL: 'https://10.0.0.1:6443/',
    VIGIL_K8S_TOKEN: 'tok',
    VIGIL_AWS_ACCESS_KEY_ID: 'AKID',
    VIGIL_AWS_SECRET_ACCESS_KEY: 'secret',
  });
  expect(settings.slack).toEqual({ apiUrl: 'https://slack.com/api', botToken: 'xoxb-1', channel: 'C1' });
  expect(settings.kubernetes).toEqual({ kind: 'token', apiServerUrl: 'https://10.0.0.1:6443', token: 'tok' });
  expect(settings.awsIam).toEqual({ region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
  expect(() => loadActionSettings({ VIGIL_K8S_API_URL: 'https://k8s' })).toThrow(expect.objectContaining({ code: 'VGL_CONFIG_INVALID', location: { field: 'VIGIL_K8S_TOKEN' } }));
  expect(() => loadActionSettings({ VIGIL_TICKET_WEBHOOK_URL: 'not a url' })).toThrow(expect.objectContaining({ code: 'VGL_CONFIG_INVALID', location: { field: 'VIGIL_TICKET_WEBHOOK_URL' } }));
});

test('Kubernetes: in-cluster or a kubeconfig (with a context), never together with a static URL/token', () => {
  const pod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
  expect(loadActionSettings({ VIGIL_K8S_CONFIG: 'in-cluster', ...pod }).kubernetes).toEqual({ kind: 'in-cluster' });
  expect(() => loadActionSettings({ VIGIL_K8S_CONFIG: 'in-cluster' })).toThrow(expect.objectContaining({ code: 'VGL_CONFIG_INVALID', message: expect.stringMatching(/KUBERNETES_SERVICE_HOST/), location: { field: 'VIGIL_K8S_CONFIG' } }));
  const kubeconfig = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-kube-')), 'config');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
  expect(loadActionSettings({ VIGIL_K8S_CONFIG: kubeconfig, VIGIL_K8S_CONTEXT: 'prod' }).kubernetes).toEqual({ kind: 'kubeconfig', path: kubeconfig, context: 'prod' });
  expect(() => loadActionSettings({ VIGIL_K8S_CONFIG: `${kubeconfig}.missing` })).toThrow(expect.objectContaining({ code: 'VGL_CONFIG_INVALID', location: { field: 'VIGIL_K8S_CONFIG' } }));
  expect(() => loadActionSettings({ VIGIL_K8S_CONFIG: kubeconfig, VIGIL_K8S_API_URL: 'https://k8s', VIGIL_K8S_TOKEN: 't' })).toThrow(expect.objectContaining({ location: { field: 'VIGIL_K8S_CONFIG' } }));
  expect(() => loadActionSettings({ VIGIL_K8S_CONTEXT: 'prod' })).toThrow(expect.objectContaining({ location: { field: 'VIGIL_K8S_CONTEXT' } }));
});

test('AWS: static keys, or the SDK default chain when asked for (never both)', () => {
  expect(loadActionSettings({ VIGIL_AWS_CREDENTIALS: 'default', VIGIL_AWS_REGION: 'eu-west-1' }).awsIam).toEqual({ region: 'eu-west-1' });
  expect(loadActionSettings({ VIGIL_AWS_ACCESS_KEY_ID: 'AKID', VIGIL_AWS_SECRET_ACCESS_KEY: 's', VIGIL_AWS_SESSION_TOKEN: 'tok', VIGIL_AWS_IAM_ENDPOINT: 'https://iam.example' }).awsIam).toEqual({
    region: 'us-east-1',
    endpoint: 'https://iam.example',
    credentials: { accessKeyId: 'AKID', secretAccessKey: 's', sessionToken: 'tok' },
  });
  expect(() => loadActionSettings({ VIGIL_AWS_CREDENTIALS: 'default', VIGIL_AWS_ACCESS_KEY_ID: 'AKID' })).toThrow(expect.objectContaining({ location: { field: 'VIGIL_AWS_CREDENTIALS' } }));
  expect(() => loadActionSettings({ VIGIL_AWS_CREDENTIALS: 'static' })).toThrow(expect.objectContaining({ location: { field: 'VIGIL_AWS_SECRET_ACCESS_KEY' } }));
  expect(() => loadActionSettings({ VIGIL_AWS_CREDENTIALS: 'instance' })).toThrow(expect.objectContaining({ location: { field: 'VIGIL_AWS_CREDENTIALS' } }));
});

test('chatops settings: identity=token pairs (tokens may contain "="), short tokens refused', () => {
  const settings = loadChatopsSettings({ VIGIL_API_TOKENS: 'alice=c2VjcmV0LXRva2VuLWFsaWNl==, bob=0123456789abcdef0123' });
  expect([...settings.apiTokens]).toEqual([['c2VjcmV0LXRva2VuLWFsaWNl==', 'alice'], ['0123456789abcdef0123', 'bob']]);
  expect(settings.port).toBe(8235);
  expect(settings.slackResponseOrigins).toEqual(['https://hooks.slack.com']);
  expect(loadChatopsSettings({ VIGIL_SLACK_RESPONSE_ORIGINS: 'https://hooks.slack.com, https://hooks.slack-gov.com' }).slackResponseOrigins).toEqual(['https://hooks.slack.com', 'https://hooks.slack-gov.com']);
  for (const origins of ['*', 'https://hooks.slack.com/services', 'hooks.slack.com', 'ftp://hooks.slack.com']) {
    expect(() => loadChatopsSettings({ VIGIL_SLACK_RESPONSE_ORIGINS: origins })).toThrow(expect.objectContaining({ code: 'VGL_CONFIG_INVALID', location: { field: 'VIGIL_SLACK_RESPONSE_ORIGINS' } }));
  }
  expect(() => loadChatopsSettings({ VIGIL_API_TOKENS: 'alice=short' })).toThrow(expect.objectContaining({ code: 'VGL_CONFIG_INVALID', location: { field: 'VIGIL_API_TOKENS' } }));
});
