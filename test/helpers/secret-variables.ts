/** The settings that hold secrets (each validated by src/auth/secret-setting.ts), for tests that check them all. */
export const secretVariables = ['VIGIL_API_TOKENS', 'VIGIL_SLACK_SIGNING_SECRET', 'VIGIL_WEBHOOK_SECRET', 'VIGIL_CODEC_TOKEN', 'VIGIL_K8S_AUDIT_TOKEN', 'VIGIL_METRICS_TOKEN', 'MQTT_PASSWORD', 'VIGIL_ARCHIVE_S3_SECRET_ACCESS_KEY'] as const;
