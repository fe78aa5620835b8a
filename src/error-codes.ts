/**
 * Every failure an operator or rule author sees carries a stable code from this registry.
 * Codes are never reused once retired; README.md's "Error codes" table lists each one with how to
 * solve it, and test/error-codes.test.ts keeps the two in sync.
 */
export const errorCodes = {
  // configuration and provisioning
  VGL_CONFIG_INVALID: 'A configuration value (env var or flag) failed validation.',
  VGL_TEMPORAL_CLI_NOT_FOUND: 'No Temporal CLI could be found, built or downloaded.',
  VGL_SCENARIO_INVALID: 'A scenario file line is not {source, offsetMs, data} JSON.',
  VGL_SCENARIO_EXPECT_INVALID: 'A scenario\'s expectations file (FILE.expect.yml) is not valid YAML or not {alerts: {fire, notFire}, incidents}.',
  VGL_SCENARIO_TIMEOUT: '`vigil scenario run`: the pipeline did not become quiet (ingest acknowledged everything, no workflow busy) within --timeout; the message names what was still busy.',
  VGL_STACK_PROCESS_EXITED: 'A worker or ingest process that `vigil dev` or `vigil scenario run` started ended on its own (crash, kill, failed start): the whole stack stops; the message names the process, its pid and its exit code or signal, and its last log lines precede it.',
  VGL_SCENARIO_INGEST_METRICS: '`vigil scenario run` against a running stack could not read ingest progress from VIGIL_INGEST_METRICS_URLS (unset, unreachable or refused).',
  VGL_ENTITY_MAPPING_INVALID: 'The entity mapping file (rules/entities/*.yml) is malformed.',
  // edge collectors
  VGL_COLLECT_INPUT: 'A collector input record (file line, array element) is not an event of the chosen source; it is counted and skipped.',
  VGL_COLLECT_PAYLOAD: 'A Kubernetes audit webhook request is not an audit.k8s.io/v1 EventList JSON body within the size bound (HTTP 400/413).',
  // ingest
  VGL_INGEST_SUBSCRIBE: 'The broker refused an ingest subscription or granted it below QoS 1 (check its ACL and shared-subscription support); ingest retries.',
  VGL_COLLECT_PUBLISH_REFUSED: 'The broker refused a collector\'s publish for good (MQTT 5 PUBACK 0x87 Not authorized, 0x90 Topic Name invalid: the credentials do not belong to the tenant): the collector stops, exit 2, with the count of events not published.',
  VGL_COLLECT_AUTH: 'A Kubernetes audit webhook request carried neither the configured bearer token nor a client certificate signed by --client-ca (HTTP 401).',
  // codec endpoint
  VGL_CODEC_AUTH: 'A codec request came from an origin other than the Temporal UI\'s (HTTP 403) or lacked the configured bearer token (HTTP 401).',
  VGL_CODEC_PAYLOAD: 'A codec request body is not the codec protocol\'s {"payloads":[...]} JSON within the size bound (HTTP 400/413/415).',
  // metrics endpoint
  VGL_METRICS_AUTH: 'A metrics scrape lacked the bearer token VIGIL_METRICS_TOKEN configures (HTTP 401).',
  // ingest dead-letter reasons
  VGL_DLQ_TOPIC: 'The MQTT topic does not name a known tenant and source.',
  VGL_DLQ_DECODE: 'The message payload is not valid msgpack.',
  VGL_DLQ_SCHEMA: 'The batch or one of its events does not match the event schema.',
  VGL_DLQ_TENANT: 'The batch claims a tenant other than the one its topic names (the tenant whose collectors the broker lets publish there).',
  VGL_DLQ_MATCH: 'Matching rules or building the detection threw on this event (a rule engine bug); the event is not archived, the letter holds it.',
  VGL_DLQ_ROUTE: 'Temporal refused the message\'s detections (invalid argument, precondition, size) VIGIL_INGEST_MAX_ATTEMPTS times; its events are archived.',
  VGL_DLQ_ATTEMPTS: 'Ingest started handling this redelivered message VIGIL_INGEST_MAX_ATTEMPTS times without finishing (it crashed or was killed each time); not read again.',
  VGL_DLQ_INTERNAL: 'Handling the message failed in an unexpected way (a bug); the letter holds the message and the error.',
  // Sigma rule loading (file:line:col of the offending node, field = path inside the rule document)
  VGL_RULE_IO: 'A rule file or directory could not be read.',
  VGL_RULE_YAML: 'A rule file is not valid YAML.',
  VGL_RULE_SCHEMA: 'A rule document is missing a required field or a field has the wrong type or value.',
  VGL_RULE_DETECTION: 'A detection section or search identifier is malformed.',
  VGL_RULE_CONDITION: 'A rule condition does not parse or names an unknown search identifier.',
  VGL_RULE_UNKNOWN_MODIFIER: 'A field uses a value modifier Vigil does not know.',
  VGL_RULE_MODIFIER: 'A modifier is applied to a value of the wrong type or in an invalid combination.',
  VGL_RULE_REGEX_UNSAFE: 'A regular expression cannot be compiled by the linear-time RE2 engine (backreferences, lookaround, bad syntax).',
  VGL_RULE_PLACEHOLDER: 'An expand placeholder has no values in the placeholder configuration.',
  VGL_RULE_DUPLICATE_ID: 'Two loaded rules share the same id or name.',
  VGL_RULE_FILTER_TARGET: 'A Sigma filter names a rule that is not loaded.',
  VGL_RULE_TOO_LARGE: 'A rule file exceeds a per-file bound (bytes, YAML documents or YAML nodes); the whole file is rejected (hot reload keeps its previous version).',
  VGL_RULE_FIELD_VALUES: 'A detection field or keyword list has more values, as written or after modifier expansion, than the per-field bound; its rule is rejected.',
  VGL_RULE_SET_TOO_LARGE: 'Loading a rule file would take the rule set past a total bound (compiled matcher values or characters of matcher text); the file is rejected (hot reload keeps its previous version).',
  VGL_RULE_TEST_FAILED: 'A rule test event did not match (match.ndjson) or matched (nomatch.ndjson) its rule.',
  VGL_RULE_TEST_MISSING: 'A rule has no test events in the rule tests directory.',
  VGL_RULE_EVENTS_INPUT: 'The events file given to `vigil rules eval` cannot be read (missing, broken gzip), or one of its records is not JSON (reported with file:line or element and skipped).',
  // forensic archive and retro-hunt
  VGL_HUNT_ARGUMENT: 'A `vigil hunt` argument is invalid: --from/--to not an ISO 8601 date or zoned date-time, or --from not before --to; --tenant not a tenant id; an unknown --source; no archive folder.',
  VGL_ARCHIVE_STORE: 'The archive store refused or failed a request (S3: a refused signature or credentials, a missing bucket, an unreachable endpoint): the message names the request, the S3 error code and the setting to check. Ingest does not acknowledge the events of a failed append (they are redelivered).',
  VGL_HUNT_TEMPORAL: '`vigil hunt --to-temporal` could not hand its results to Temporal (server unreachable, signal refused): the hunt stops; results sent before stay recorded, and running it again sends only what is missing (correlators ignore what they have seen).',
  VGL_ARCHIVE_FAULT: 'An archive segment ends in a torn or damaged frame (a crash mid-write, or damage on disk): its frames before that point are read, the bytes after it are skipped and reported (segment, offset, reason).',
  // shadow rules, rule statistics and verdicts
  VGL_ALERT_NOT_FOUND: 'No recent alert with that id in the tenant (its rule statistics workflow keeps the last 5,000 alerts\' locations; the correlator keeps the last alerts it raised).',
  VGL_PROMOTE_RULE: '`vigil rules promote` cannot promote the rule: no loaded rule has that id or name, it is not a shadow rule (`vigil.shadow: true`), or its file could not be edited.',
  VGL_PROMOTE_EVIDENCE: '`vigil rules promote` refused a shadow rule on poor evidence: fewer would-be alerts or verdicts than required, or precision below the threshold (exit 1; --force promotes anyway).',
  VGL_SUGGEST_FILTER: '`vigil rules suggest-filter` could not write a filter: the alert\'s event is not in the archive, the rule is not loaded, no field of the event can tell it apart, or the candidate filter would not exclude the event.',
  // correlation rules
  VGL_RULE_CORRELATION: 'A Sigma correlation rule is invalid (type, rules, group-by, timespan, condition, aliases or generate).',
  // response: playbooks, approvals, actions, chatops
  VGL_RESPONSE_CONFIG: 'A rules/responses file (approvers, groups, operators or a playbook binding) is invalid.',
  VGL_APPROVAL_UNAUTHORIZED: 'The approver is not in an approver group the playbook currently asks.',
  VGL_APPROVAL_SELF: 'The approver is the subject of the alert and cannot decide their own case.',
  VGL_APPROVAL_DUPLICATE: 'The approver has already decided on this playbook run.',
  VGL_APPROVAL_CLOSED: 'The playbook run is not waiting for a decision (already decided, timed out or finished).',
  VGL_ACTION_REJECTED: 'The target system refused a response action permanently (4xx); retrying cannot help.',
  VGL_ACTION_TARGET: 'A response action could not find its target (pod, node, user, key) in the alert.',
  VGL_ACTION_NOT_CONFIGURED: 'A response action needs an endpoint or credentials that are not configured.',
  VGL_CHATOPS_SIGNATURE: 'A chat request had a missing, stale or forged signature.',
  VGL_CHATOPS_AUTH: 'An HTTP approval API request had a missing or wrong bearer token.',
  VGL_CHATOPS_PAYLOAD: 'A chat or HTTP API request body is malformed (not the documented Slack or JSON shape).',
  VGL_CHATOPS_UNKNOWN_USER: 'The chat user is not mapped to an approver identity in rules/responses.',
  VGL_CHATOPS_RESPONSE_URL: 'A Slack interactivity payload\'s response_url is not on VIGIL_SLACK_RESPONSE_ORIGINS; the click is refused and nothing is posted.',
  VGL_OPERATOR_UNKNOWN: 'The OS user running a CLI decision is not in rules/responses `operators`, so it acts as nobody.',
  VGL_OPERATOR_ACT_AS: 'The OS user running a CLI decision may not act as the identity named by --as (not their identity, not in their actFor).',
  VGL_PLAYBOOK_NOT_FOUND: 'No playbook run with that workflow id exists among the tenants the caller (token, chat user, operator) serves.',
  VGL_INCIDENT_ROUTING: 'A correlator could not route a new alert to its incident router (logged with the alert id); the alert keeps no incident and its playbooks still start.',
  VGL_INCIDENT_NOT_FOUND: 'No incident with that id among the tenants the caller may see (vigil incidents show, ack, resolve).',
  VGL_INCIDENT_INVALID: 'An incident update or routing request was refused: unknown verdict, missing actor, an incident already resolved or merged, or an alert of another tenant (the field and reason are in the message).',
  VGL_CORRELATOR_DETECTION_REJECTED: 'A correlator dropped signalled detections that are malformed or of another tenant (logged with the field and reason, counted as rejectedDetections in its state); the rest of the batch is applied.',
  VGL_UPDATE_REJECTED: 'A correlator update (verdict, suppress, reset) was rejected: a field is missing or empty, or names no alert or rule of this entity.',
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** Where a problem is: a file position, and/or a field path inside a document or event. */
export interface Location {
  file?: string;
  line?: number;
  col?: number;
  field?: string;
}

export function formatLocation(loc: Location): string {
  const pos = loc.file ? [loc.file, loc.line, loc.col].filter((p) => p !== undefined).join(':') : '';
  return [pos, loc.field ? `field ${loc.field}` : ''].filter(Boolean).join(' ');
}

/** The base of every user-facing error: a stable code, a reason, and where. */
export class VigilError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly reason: string,
    readonly location: Location = {},
  ) {
    const where = formatLocation(location);
    super(`${code}: ${where ? `${where}: ` : ''}${reason}`);
    this.name = 'VigilError';
  }
}
