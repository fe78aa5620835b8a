#!/usr/bin/env node
/**
 * `vigil`: the one front door. Each area registers its own subcommands; this file wires them and
 * sets exit codes in one place: 0 success, 1 command-reported failure (e.g. lint errors, failing rule
 * tests), 2 a user-facing error (VGL_* code on stderr), 3 an unexpected internal error.
 * Start-up loads only the area the command line names: an area's module pulls in its whole import
 * graph (the Temporal SDK, MQTT, fastify...), which `vigil rules eval` must not pay for. Without a
 * known command (`vigil --help`, a typo) every top-level command is listed from command-areas.ts.
 */
import { Command, Option } from 'commander';
import type { Logger } from 'pino';
import { VigilError } from '../error-codes';
import { createLogger, logFormatFor, logFormats } from '../logger';
import { commandAreas } from './command-areas';

const logger: Logger = createLogger(undefined, logFormatFor(process.argv, process.env, process.stderr.isTTY === true));
const program = new Command()
  .name('vigil')
  .description('Distributed detection and response: Sigma at ingest, durable per-entity correlation on Temporal, approved playbooks.')
  .addOption(new Option('--log-format <format>', 'logs on stderr (default: pretty on a terminal, else json; VIGIL_LOG_FORMAT)').choices(logFormats))
  .showHelpAfterError();

async function registerCommands(argv: readonly string[]): Promise<void> {
  const named = argv.slice(2).find((arg) => commandAreas.some((area) => area.commands.some((c) => c.name === arg)));
  const area = commandAreas.find((a) => a.commands.some((c) => c.name === named));
  if (area) {
    await area.register(program, logger);
    return;
  }
  for (const a of commandAreas) for (const c of a.commands) program.command(c.name).description(c.description);
}

registerCommands(process.argv)
  .then(() => program.parseAsync(process.argv))
  .catch((err: unknown) => {
    if (err instanceof VigilError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 2;
    } else {
      logger.error({ err }, 'unexpected error');
      process.exitCode = 3;
    }
  });
