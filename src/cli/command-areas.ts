/**
 * The `vigil` command areas: which top-level commands each registers, with the one-line description
 * `vigil --help` lists, and how to load it. main.ts loads only the area a command line names.
 * **Invariant**: `commands` are exactly the top-level commands the area's register function adds, and
 * each description is how the real one begins (test/cli-start.test.ts checks both).
 */
import type { Command } from 'commander';
import type { Logger } from 'pino';

export interface CommandArea {
  readonly commands: readonly { readonly name: string; readonly description: string }[];
  register(program: Command, logger: Logger): Promise<void>;
}

export const commandAreas: readonly CommandArea[] = [
  {
    commands: [
      { name: 'setup', description: 'Find or build the Temporal CLI (v1.5.1) that runs the dev server; prints its path' },
      { name: 'dev', description: 'Run the whole stack on this machine (Temporal dev server + UI, MQTT broker, worker, ingest) with a demo attack replay' },
      { name: 'worker', description: 'Run correlator and playbook workers for every tenant in VIGIL_TENANTS (needs TEMPORAL_ADDRESS)' },
      { name: 'ingest', description: 'Run the ingest pipeline: MQTT → validate → archive → match → route (needs TEMPORAL_ADDRESS and MQTT_URL)' },
      { name: 'codec', description: 'Serve the codec endpoint that renders msgpack payloads as JSON in the Temporal UI (VIGIL_CODEC_PORT, VIGIL_CODEC_TOKEN)' },
      { name: 'replay', description: 'Publish a scenario file (rules/scenarios/*.ndjson) as a collector would (needs MQTT_URL)' },
    ],
    register: async (program, logger) => (await import('./stack')).registerStackCommands(program, logger),
  },
  {
    commands: [{ name: 'rules', description: 'Sigma rule tooling: lint, test, offline eval, ATT&CK coverage, statistics, shadow rule promotion, filter suggestions' }],
    register: async (program, logger) => (await import('./rules')).registerRulesCommands(program, logger),
  },
  {
    commands: [{ name: 'hunt', description: "Retro-hunt: run detection and correlation rules over a tenant's raw event archive for a time range" }],
    register: async (program, logger) => (await import('./hunt-command')).registerHuntCommand(program, logger),
  },
  {
    commands: [
      { name: 'alerts', description: 'Alerts' },
      { name: 'entity', description: 'Entities' },
    ],
    register: async (program, logger) => (await import('./investigate')).registerInvestigateCommands(program, logger),
  },
  {
    commands: [{ name: 'incidents', description: 'Incidents: related alerts grouped across entities' }],
    register: async (program, logger) => (await import('./incidents')).registerIncidentCommands(program, logger),
  },
  {
    commands: [
      { name: 'approve', description: 'Approve a playbook run waiting for approval' },
      { name: 'deny', description: 'Deny a playbook run waiting for approval' },
      { name: 'playbooks', description: 'Response playbook runs' },
      { name: 'chatops', description: 'Serve Slack slash-command/interactivity endpoints and the JSON approval API' },
    ],
    register: async (program, logger) => (await import('./playbooks')).registerPlaybookCommands(program, logger),
  },
  {
    commands: [{ name: 'loadgen', description: 'Publish synthetic events matching the demo rules at a steady rate over M hosts in T tenants (needs MQTT_URL)' }],
    register: async (program, logger) => (await import('./loadgen')).registerLoadgenCommand(program, logger),
  },
  {
    commands: [{ name: 'bench', description: 'Run benchmarks' }],
    register: async (program, logger) => (await import('./bench')).registerBenchCommands(program, logger),
  },
  {
    commands: [{ name: 'scenario', description: 'Attack scenarios: replay them through the whole pipeline and check what they raise' }],
    register: async (program, logger) => (await import('./scenario')).registerScenarioCommands(program, logger),
  },
  {
    commands: [{ name: 'collect', description: "Edge collectors: publish a source's events to MQTT (needs MQTT_URL)" }],
    register: async (program, logger) => (await import('./collect')).registerCollectCommands(program, logger),
  },
  {
    commands: [{ name: 'broker', description: 'MQTT broker security: identities, passwords and per-tenant access rules' }],
    register: async (program) => (await import('./broker')).registerBrokerCommands(program),
  },
];
