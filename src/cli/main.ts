#!/usr/bin/env node
/**
 * `vigil`: the one front door. Each area registers its own subcommands; this file wires them and
 * sets exit codes in one place: 0 success, 1 command-reported failure (e.g. lint errors, failing rule
 * tests), 2 a user-facing error (VGL_* code on stderr), 3 an unexpected internal error.
 */
import { Command } from 'commander';
import { VigilError } from '../error-codes';
import { createLogger } from '../logger';
import { registerPlaybookCommands } from './playbooks';
import { registerRulesCommands } from './rules';
import { registerStackCommands } from './stack';
import { registerBenchCommands } from './bench';
import { registerBrokerCommands } from './broker';
import { registerCollectCommands } from './collect';
import { registerInvestigateCommands } from './investigate';

const logger = createLogger();
const program = new Command()
  .name('vigil')
  .description('Distributed detection and response: Sigma at ingest, durable per-entity correlation on Temporal, approved playbooks.')
  .showHelpAfterError();

registerStackCommands(program, logger);
registerRulesCommands(program, logger);
registerInvestigateCommands(program, logger);
registerPlaybookCommands(program, logger);
registerBenchCommands(program, logger);
registerCollectCommands(program, logger);
registerBrokerCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof VigilError) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
  } else {
    logger.error({ err }, 'unexpected error');
    process.exitCode = 3;
  }
});
