/**
 * `vigil loadgen --rate N --entities M --tenants T --duration S`: drives any stack (`vigil dev`'s embedded one, or a
 * cluster) through its broker as collectors would: N events/s for S seconds over M hosts in the first T tenants of
 * VIGIL_TENANTS, each tenant published with its own collector login. The events copy the process records of the
 * demo's Linux scenario that the rule set matches (VIGIL_RULES_DIR), so every event is a detection routed to its
 * host's correlator. At the end it prints the rate achieved and the PUBACK latency (`--json`: one JSON object).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { generateLoad, type LoadReport } from '../collect/load-generator';
import { connectPublisherNow } from '../collect/publisher-connection';
import { loadScenario } from '../collect/scenario-replay';
import { loadConfig, type Config } from '../config';
import { VigilError } from '../error-codes';
import { collectorUsername } from '../mqtt/broker-policy';
import { readCredentialFile } from '../mqtt/broker-credentials';
import { loadRuleSet } from '../sigma';
import { positiveInt, requireMqtt } from './cli-options';

const SCENARIO = path.join('scenarios', 'linux-host-compromise.ndjson');

/** The demo scenario's process records that at least one rule of the rule set matches. */
async function matchingTemplates(rulesDir: string, logger: Logger): Promise<Record<string, unknown>[]> {
  const file = path.join(rulesDir, SCENARIO);
  const placeholders = path.join(rulesDir, 'sigma-config', 'placeholders.yml');
  const { ruleSet } = await loadRuleSet([path.join(rulesDir, 'sigma')], { logger, ...(existsSync(placeholders) ? { placeholdersFile: placeholders } : {}) });
  const templates = loadScenario(file).filter((l) => l.source === 'process' && ruleSet.match(l.data, 'process').length > 0).map((l) => l.data);
  if (templates.length === 0) throw new VigilError('VGL_CONFIG_INVALID', `no process record of ${file} matches a rule in ${rulesDir}/sigma: nothing to generate`, { file, field: 'VIGIL_RULES_DIR' });
  return templates;
}

/** Tenant's login: its collector credentials file in `dir` (as `vigil broker config` and `vigil dev` write them), else MQTT_USERNAME/MQTT_PASSWORD. */
function loginFor(tenant: string, dir: string | undefined, config: Config): { username?: string; password?: string } {
  const credential = dir ? readCredentialFile(dir, { username: collectorUsername(tenant), role: 'collector', tenant }) : undefined;
  if (credential) return { username: credential.identity.username, password: credential.password };
  return { username: config.MQTT_USERNAME, password: config.MQTT_PASSWORD };
}

function formatReport(r: LoadReport): string {
  const ms = (v: number): string => `${Math.round(v * 10) / 10} ms`;
  return [
    `published ${r.events} events over ${r.entities} hosts in ${r.tenants} tenant(s): ${Object.entries(r.perTenant).map(([t, n]) => `${t} ${n}`).join(', ')}`,
    `offered  ${r.offeredRate} events/s (${r.publishSeconds.toFixed(1)} s adding events)`,
    `achieved ${r.achievedRate} events/s (${r.ackSeconds.toFixed(1)} s until the last PUBACK)`,
    `PUBACK latency per batch (${r.pubackMs.batches} batches): p50 ${ms(r.pubackMs.p50)}, p99 ${ms(r.pubackMs.p99)}, max ${ms(r.pubackMs.max)}`,
  ].join('\n');
}

export function registerLoadgenCommand(program: Command, logger: Logger): void {
  program
    .command('loadgen')
    .description('Publish synthetic events matching the demo rules at a steady rate over M hosts in T tenants (needs MQTT_URL); prints achieved rate and PUBACK latency')
    .requiredOption('--rate <n>', 'events per second, all tenants together')
    .option('--entities <m>', 'hosts the events are spread over (round-robin)', '100')
    .option('--tenants <t>', 'the first T tenants of VIGIL_TENANTS', '1')
    .requiredOption('--duration <s>', 'seconds to publish')
    .option('--credentials <dir>', "collector credentials files (collector.<tenant>.env); default VIGIL_DATA_DIR/credentials (vigil dev's) when present, else MQTT_USERNAME/MQTT_PASSWORD")
    .option('--json', 'print the report as one JSON object')
    .action(async (opts: { rate: string; entities: string; tenants: string; duration: string; credentials?: string; json?: boolean }) => {
      const config = loadConfig();
      const mqttUrl = requireMqtt(config.MQTT_URL);
      const [rate, entities, tenantCount, durationS] = [positiveInt('--rate', opts.rate), positiveInt('--entities', opts.entities), positiveInt('--tenants', opts.tenants), positiveInt('--duration', opts.duration)];
      if (tenantCount > config.VIGIL_TENANTS.length) throw new VigilError('VGL_CONFIG_INVALID', `--tenants ${tenantCount} exceeds the ${config.VIGIL_TENANTS.length} tenant(s) of VIGIL_TENANTS`, { field: '--tenants' });
      if (entities < tenantCount) throw new VigilError('VGL_CONFIG_INVALID', `--entities ${entities} cannot spread over ${tenantCount} tenants (at least one host each)`, { field: '--entities' });
      const defaultDir = path.join(config.VIGIL_DATA_DIR, 'credentials');
      const credentialsDir = opts.credentials ?? (existsSync(defaultDir) ? defaultDir : undefined);
      const templates = await matchingTemplates(config.VIGIL_RULES_DIR, logger);
      const runId = Date.now().toString(36);
      const clients = new Map<string, MqttClient>();
      try {
        for (const tenant of config.VIGIL_TENANTS.slice(0, tenantCount)) {
          clients.set(tenant, await connectPublisherNow(mqttUrl, { clientId: `vigil-loadgen-${tenant}-${runId}`, ...loginFor(tenant, credentialsDir, config) }, logger));
        }
        const report = await generateLoad({ rate, entities, durationS, runId, templates }, clients, logger);
        process.stdout.write(opts.json ? `${JSON.stringify({ runId, ...report })}\n` : `${formatReport(report)}\n`);
      } finally {
        await Promise.all([...clients.values()].map((c) => c.endAsync()));
      }
    });
}
