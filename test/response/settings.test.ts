/** Environment settings for response actions and the chatops server: parsed, paired, refused with the variable named. */
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
  expect(settings.kubernetes).toEqual({ apiServerUrl: 'https://10.0.0.1:6443', token: 'tok' });
  expect(settings.awsIam).toEqual({ endpoint: 'https://iam.amazonaws.com', region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
  expect(() => loadActionSettings({ VIGIL_K8S_API_URL: 'https://k8s' })).toThrow(expect.objectContaining({ code: 'VGL_CONFIG_INVALID', location: { field: 'VIGIL_K8S_TOKEN' } }));
  expect(() => loadActionSettings({ VIGIL_TICKET_WEBHOOK_URL: 'not a url' })).toThrow(expect.objectContaining({ code: 'VGL_CONFIG_INVALID', location: { field: 'VIGIL_TICKET_WEBHOOK_URL' } }));
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
