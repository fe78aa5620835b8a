/**
 * Process configuration from environment variables (flags override them in the CLI), validated with
 * zod at start-up. Every variable is documented in README.md's configuration table; a test keeps the
 * two in sync.
 */
import path from 'node:path';
import { z } from 'zod';
import { isLoopbackHost, parseListen } from './auth/listen-address';
import { SecretSchema } from './auth/secret-setting';
import { VigilError } from './error-codes';
import { DEFAULT_ACK_WINDOW, DEFAULT_ACK_WINDOW_BYTES } from './ingest/ordered-acks';
import { parseDuration } from './model/duration';
import { TenantIdSchema } from './model/tenant';
import { logFormats } from './logger';
import { projectRoot } from './project-root';
import { defaultRuleLimits, type RuleLimits } from './sigma/rule-limits';

const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);

/** `host:port` (`[::1]:9464`; `:9464` is every interface), parsed with the `--listen` rules. */
const listenAddress = (variable: string) =>
  z.string().transform((value, ctx) => {
    try {
      return parseListen(value, variable);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
const ruleLimit = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

export const ConfigSchema = z.object({
  /** host:port of an existing Temporal frontend; unset in `vigil dev` = start the embedded dev server. */
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Embedded dev server ports (`vigil dev` only). */
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  /** Public address of the Temporal UI, used in alert links. */
  TEMPORAL_UI_URL: z.string().url().optional(),
  /** MQTT broker URL (mqtt://host:port); unset in `vigil dev` = start the in-process broker. */
  MQTT_URL: z.string().url().optional(),
  MQTT_PORT: port.default(1883),
  MQTT_USERNAME: z.string().optional(),
  MQTT_PASSWORD: SecretSchema.optional(),
  /**
   * MQTT 5 shared-subscription group for ingest; `none` = a plain subscription (MQTT 3.1.1 brokers such as `vigil dev`'s
   * in-process one), read as ''. Not the empty string: an empty variable counts as unset, i.e. the default group.
   */
  VIGIL_INGEST_GROUP: z
    .string()
    .default('vigil-ingest')
    .transform((group) => (group === 'none' ? '' : group)),
  /**
   * MQTT client id of this ingest instance (its connections add -0, -1...). Stable across restarts, so the broker hands
   * a restarted instance its session's unacknowledged messages; unique per instance, or two instances take each
   * other's sessions over. Default `vigil-ingest-{hostname}-{group}`: set it when several run on one host.
   */
  VIGIL_INGEST_CLIENT_ID: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, . _ - (at most 100)').optional(),
  /** Consuming MQTT connections per ingest process (with a share group): messages in flight at once. */
  VIGIL_INGEST_CONNECTIONS: z.coerce.number().int().min(1).max(64).default(4),
  /**
   * Messages each consuming connection handles at once (its ack window, advertised as the MQTT 5 Receive Maximum):
   * PUBACKs go out in receive order, so a slow hand-off holds later acknowledgements; reading pauses only when the
   * window is full. With VIGIL_INGEST_WINDOW_BYTES, bounds ingest's memory and what a crash redelivers.
   */
  VIGIL_INGEST_WINDOW: z.coerce.number().int().min(1).max(65535).default(DEFAULT_ACK_WINDOW),
  /** Payload bytes of unacknowledged messages per consuming connection before reading pauses (ingest's memory bound). */
  VIGIL_INGEST_WINDOW_BYTES: z.coerce.number().int().min(1024).default(DEFAULT_ACK_WINDOW_BYTES),
  /** Tries per message before ingest dead-letters it: Temporal refusing its detections, or ingest crashing while handling it. */
  VIGIL_INGEST_MAX_ATTEMPTS: z.coerce.number().int().min(2).max(100).default(5),
  /**
   * Worker tuning, per tenant task queue (`vigil worker`, `vigil dev`): workflows kept in the sticky cache (an evicted
   * correlator replays its history on its next task), workflow tasks run at once (the SDK's default 40; at least 2
   * with a cache), workflow task polls at once (the SDK's default 10; at most the executions). Defaults are the
   * values used before they were settings, not chosen by measurement (README: Configuration).
   */
  VIGIL_WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(1000),
  VIGIL_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).default(40),
  VIGIL_WORKER_WORKFLOW_TASK_POLLERS: z.coerce.number().int().min(2).default(10),
  /** Comma-separated tenants this deployment accepts; events for others are dead-lettered. */
  VIGIL_TENANTS: z
    .string()
    .default('acme')
    .transform((s) => s.split(',').map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(TenantIdSchema).min(1)),
  VIGIL_DATA_DIR: z.string().default(path.join(projectRoot, '.vigil')),
  VIGIL_RULES_DIR: z.string().default(path.join(projectRoot, 'rules')),
  /**
   * How long the raw event archive keeps a segment after its arrival hour ended (the duration grammar:
   * `90d`, `12w`); whole expired segments are deleted. Unset keeps everything.
   */
  VIGIL_ARCHIVE_RETENTION: z
    .string()
    .transform((v, ctx) => {
      try {
        const ms = parseDuration(v);
        if (ms >= 3_600_000) return ms;
        ctx.addIssue({ code: 'custom', message: `VIGIL_ARCHIVE_RETENTION must be at least 1h, got '${v}'` });
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
      return z.NEVER;
    })
    .optional(),
  /**
   * Where the raw event archive lives: `folder` (VIGIL_DATA_DIR/archive) or `s3`, an S3-compatible bucket
   * (src/ingest/archive/s3-store.ts; the VIGIL_ARCHIVE_S3_* settings below are then required).
   */
  VIGIL_ARCHIVE_STORE: z.enum(['folder', 's3']).default('folder'),
  /** The S3 endpoint, path-style requests (`https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000`). */
  VIGIL_ARCHIVE_S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  VIGIL_ARCHIVE_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'VIGIL_ARCHIVE_S3_BUCKET must be an S3 bucket name (3-63 of a-z, 0-9, . and -)')
    .optional(),
  /** The region requests are signed for (SigV4). */
  VIGIL_ARCHIVE_S3_REGION: z.string().regex(/^[a-z0-9-]+$/).default('us-east-1'),
  VIGIL_ARCHIVE_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  VIGIL_ARCHIVE_S3_SECRET_ACCESS_KEY: SecretSchema.optional(),
  /**
   * Rule loading bounds (src/sigma/rule-limits.ts), applied at start-up, on hot reload and by `vigil rules`:
   * a file past one is rejected with VGL_RULE_TOO_LARGE / VGL_RULE_FIELD_VALUES / VGL_RULE_SET_TOO_LARGE.
   */
  VIGIL_RULE_MAX_FILE_BYTES: ruleLimit(defaultRuleLimits.maxFileBytes),
  VIGIL_RULE_MAX_DOCUMENTS: ruleLimit(defaultRuleLimits.maxDocuments),
  VIGIL_RULE_MAX_YAML_NODES: ruleLimit(defaultRuleLimits.maxYamlNodes),
  VIGIL_RULE_MAX_FIELD_VALUES: ruleLimit(defaultRuleLimits.maxFieldValues),
  VIGIL_RULE_MAX_TOTAL_VALUES: ruleLimit(defaultRuleLimits.maxTotalValues),
  VIGIL_RULE_MAX_TOTAL_CHARS: ruleLimit(defaultRuleLimits.maxTotalChars),
  /**
   * Alerts join an open incident that shares an entity with them when its last alert arrived at most this long ago
   * (workflows/incident; the duration grammar, at least 1m). Read by workers: it applies to routers they start.
   */
  VIGIL_INCIDENT_WINDOW: z
    .string()
    .default('1h')
    .refine((v) => {
      try {
        return parseDuration(v) >= 60_000;
      } catch {
        return false;
      }
    }, 'VIGIL_INCIDENT_WINDOW must be a duration of at least 1m (e.g. 30m, 1h, 1d)'),
  /** Where playbook notifications are POSTed (generic JSON webhook). */
  VIGIL_WEBHOOK_URL: z.string().url().optional(),
  /** Containment actions only log what they would do. Default on: turning it off acts on real systems. */
  VIGIL_DRY_RUN: boolish.default(true),
  /** Port of the codec endpoint that renders msgpack payloads as JSON for the Temporal UI. */
  VIGIL_CODEC_PORT: port.default(8234),
  /** Interface `vigil codec` listens on: loopback unless the UI's browsers reach it from elsewhere. */
  VIGIL_CODEC_HOST: z.string().min(1).default('127.0.0.1'),
  /** Bearer token the codec endpoint requires (Temporal CLI `--codec-auth`); unset = no token asked. */
  VIGIL_CODEC_TOKEN: SecretSchema.optional(),
  /** Bearer token the API server's audit webhook kubeconfig carries (`vigil collect k8s-audit`). */
  VIGIL_K8S_AUDIT_TOKEN: SecretSchema.optional(),
  /**
   * Where the Prometheus endpoint (`GET /metrics`) of `vigil ingest|worker|collect|dev` listens; unset = none.
   * Off by default: several Vigil processes often share a host (one default port would collide), and a collector
   * on an edge node should not open a port nobody asked for. Beyond loopback it needs VIGIL_METRICS_TOKEN.
   */
  VIGIL_METRICS_LISTEN: listenAddress('VIGIL_METRICS_LISTEN').optional(),
  /** Bearer token scrapers must send to the metrics endpoint; required when it listens beyond loopback. */
  VIGIL_METRICS_TOKEN: SecretSchema.optional(),
  /**
   * `vigil scenario run` against a running stack (TEMPORAL_ADDRESS set): the `/metrics` URLs of every ingest process,
   * comma-separated, read (with VIGIL_METRICS_TOKEN) to know when ingest acknowledged what the run published.
   */
  VIGIL_INGEST_METRICS_URLS: z
    .string()
    .transform((s) => s.split(',').map((u) => u.trim()).filter(Boolean))
    .pipe(z.array(z.string().url()).min(1))
    .optional(),
  /**
   * Where the Temporal SDK's own Prometheus exporter (workflow-task latency, slots, sticky cache...) of `vigil
   * worker` / `vigil dev` listens; unset = none. Loopback only: that exporter (in the SDK's Rust core) cannot ask
   * for a token, so scrape it from the same host (a Prometheus agent) or through an authenticating proxy.
   */
  VIGIL_TEMPORAL_METRICS_LISTEN: listenAddress('VIGIL_TEMPORAL_METRICS_LISTEN')
    .refine((a) => isLoopbackHost(a.host), { message: 'the Temporal SDK metrics exporter has no authentication: bind it to loopback (127.0.0.1:PORT)' })
    .optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** Log lines for a person (`pretty`) or one JSON object per line (`json`); unset: pretty when stderr is a terminal. */
  VIGIL_LOG_FORMAT: z.enum(logFormats).optional(),
});

export type Config = z.infer<typeof ConfigSchema>;

export type RuleLimitConfig = Pick<Config, 'VIGIL_RULE_MAX_FILE_BYTES' | 'VIGIL_RULE_MAX_DOCUMENTS' | 'VIGIL_RULE_MAX_YAML_NODES' | 'VIGIL_RULE_MAX_FIELD_VALUES' | 'VIGIL_RULE_MAX_TOTAL_VALUES' | 'VIGIL_RULE_MAX_TOTAL_CHARS'>;

/** The rule loading bounds the configuration sets; unset ones keep their defaults. */
export function ruleLimitsOf(config: Partial<RuleLimitConfig>): RuleLimits {
  return {
    maxFileBytes: config.VIGIL_RULE_MAX_FILE_BYTES ?? defaultRuleLimits.maxFileBytes,
    maxDocuments: config.VIGIL_RULE_MAX_DOCUMENTS ?? defaultRuleLimits.maxDocuments,
    maxYamlNodes: config.VIGIL_RULE_MAX_YAML_NODES ?? defaultRuleLimits.maxYamlNodes,
    maxFieldValues: config.VIGIL_RULE_MAX_FIELD_VALUES ?? defaultRuleLimits.maxFieldValues,
    maxTotalValues: config.VIGIL_RULE_MAX_TOTAL_VALUES ?? defaultRuleLimits.maxTotalValues,
    maxTotalChars: config.VIGIL_RULE_MAX_TOTAL_CHARS ?? defaultRuleLimits.maxTotalChars,
  };
}

export interface WorkerTuning {
  maxCachedWorkflows: number;
  maxConcurrentWorkflowTaskExecutions: number;
  workflowTaskPollers: number;
}

/**
 * The worker settings as Worker options. The SDK refuses more polls than executions and silently lowers executions
 * beyond a (non-zero) cache size; both are refused here instead, naming the variables.
 */
export function workerTuningOf(config: Pick<Config, 'VIGIL_WORKER_MAX_CACHED_WORKFLOWS' | 'VIGIL_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS' | 'VIGIL_WORKER_WORKFLOW_TASK_POLLERS'>): WorkerTuning {
  const [cache, executions, polls] = [config.VIGIL_WORKER_MAX_CACHED_WORKFLOWS, config.VIGIL_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS, config.VIGIL_WORKER_WORKFLOW_TASK_POLLERS];
  if (polls > executions) {
    throw new VigilError('VGL_CONFIG_INVALID', `VIGIL_WORKER_WORKFLOW_TASK_POLLERS (${polls}) must not exceed VIGIL_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (${executions})`, { field: 'VIGIL_WORKER_WORKFLOW_TASK_POLLERS' });
  }
  if (cache > 0 && executions > cache) {
    throw new VigilError('VGL_CONFIG_INVALID', `VIGIL_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (${executions}) must not exceed VIGIL_WORKER_MAX_CACHED_WORKFLOWS (${cache}) unless the cache is off (0)`, { field: 'VIGIL_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS' });
  }
  return { maxCachedWorkflows: cache, maxConcurrentWorkflowTaskExecutions: executions, workflowTaskPollers: polls };
}

/** Reads and validates configuration; a bad value fails with VGL_CONFIG_INVALID naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Config, string>> = {}): Config {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(ConfigSchema.shape)) {
    const value = overrides[key as keyof Config] ?? env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new VigilError('VGL_CONFIG_INVALID', issue.message, { field: issue.path.join('.') });
  }
  return parsed.data;
}
