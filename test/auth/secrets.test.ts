/**
 * Every secret setting refuses well-known placeholders at start-up, naming the variable and never
 * echoing the value; real random secrets pass. The strings docker-compose.yml used to ship are here
 * verbatim: they passed validation and worked for anyone who read the file.
 */
import { randomBytes } from 'node:crypto';
import { loadChatopsSettings } from '../../src/chatops/chatops-settings';
import { loadConfig } from '../../src/config';
import { VigilError } from '../../src/error-codes';
import { loadActionSettings } from '../../activities/action-settings';

/** Each secret variable with the loader that reads it and how a value is put into it. */
const secretSettings: Array<[string, (value: string) => unknown]> = [
  ['VIGIL_API_TOKENS', (v) => loadChatopsSettings({ VIGIL_API_TOKENS: `alice=${v}` })],
  ['VIGIL_SLACK_SIGNING_SECRET', (v) => loadChatopsSettings({ VIGIL_SLACK_SIGNING_SECRET: v })],
  ['VIGIL_WEBHOOK_SECRET', (v) => loadActionSettings({ VIGIL_WEBHOOK_SECRET: v })],
  ['VIGIL_CODEC_TOKEN', (v) => loadConfig({ VIGIL_CODEC_TOKEN: v })],
  ['VIGIL_K8S_AUDIT_TOKEN', (v) => loadConfig({ VIGIL_K8S_AUDIT_TOKEN: v })],
  ['VIGIL_METRICS_TOKEN', (v) => loadConfig({ VIGIL_METRICS_TOKEN: v })],
  ['MQTT_PASSWORD', (v) => loadConfig({ MQTT_PASSWORD: v })],
  ['VIGIL_ARCHIVE_S3_SECRET_ACCESS_KEY', (v) => loadConfig({ VIGIL_ARCHIVE_S3_SECRET_ACCESS_KEY: v })],
];

const placeholders = [
  'replace-with-the-slack-app-signing-secret',
  'replace-with-a-long-random-token',
  'changeme-changeme-changeme',
  'CHANGE_ME_BEFORE_PRODUCTION',
  'placeholder-token-0123456789',
  'my-super-secret-value-2024',
  'https://hooks.example.com/token/1',
  'xoxb-xxxx-xxxx-xxxxxxxxxxxx',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  'abcabcabcabcabcabcabcabc',
  'short-but-real',
];

function refusal(load: () => unknown): VigilError {
  try {
    load();
  } catch (err) {
    if (err instanceof VigilError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe.each(secretSettings)('%s', (variable, load) => {
  test.each(placeholders)('refuses %j with VGL_CONFIG_INVALID naming the variable, without echoing the value', (value) => {
    const error = refusal(() => load(value));
    expect(error.code).toBe('VGL_CONFIG_INVALID');
    expect(error.location.field).toBe(variable);
    expect(error.message).not.toContain(value);
  });

  test('accepts a random secret', () => {
    expect(() => load(randomBytes(32).toString('hex'))).not.toThrow();
    expect(() => load(randomBytes(24).toString('base64url'))).not.toThrow();
  });
});
