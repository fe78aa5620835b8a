/** The identity the OS user running the CLI acts as (rules/responses operators, see src/response/cli-operator.ts). */
import { userInfo } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { loadConfig } from '../config';
import { resolveCliActor, type CliActor } from '../response/cli-operator';
import { loadResponseConfig } from '../response/response-config';

export const asOption = ['--as <identity>', 'decide for another approver identity (only one your operators entry lists in actFor)'] as const;

/** The identity this OS user acts as, from VIGIL_RULES_DIR/responses; refused before anything is sent. */
export function cliActor(as: string | undefined, logger: Logger): CliActor {
  const { config: responses, errors } = loadResponseConfig(path.join(loadConfig().VIGIL_RULES_DIR, 'responses'));
  for (const err of errors) logger.error({ code: err.code, location: err.location }, err.message);
  return resolveCliActor(responses, userInfo().username, as);
}

export const actedAs = ({ identity, osUser }: CliActor): string => `${identity.name} (OS user ${osUser})`;
