/**
 * Who a CLI decision is made as. The CLI trusts no name typed on its command line: it takes the OS user
 * running it (os.userInfo()), maps it through rules/responses `operators` to an approver identity, and
 * lets `--as` name another identity only where that operator's `actFor` lists it. The decision records
 * both: `by` the identity it counts as, `actor` the OS user who acted.
 *
 * This binds decisions to OS accounts on the machine the CLI runs on; it is no stronger than that. Anyone
 * who can reach Temporal directly can signal a run: restrict Temporal access itself (mTLS, authorizer).
 */
import { VigilError } from '../error-codes';
import type { ApproverIdentity, ResponseConfig } from './response-config';

export interface CliActor {
  identity: ApproverIdentity;
  /** The OS user name, recorded as who acted. */
  osUser: string;
}

export function resolveCliActor(responses: ResponseConfig, osUser: string, as: string | undefined): CliActor {
  const operator = responses.operators.get(osUser);
  if (!operator) {
    throw new VigilError('VGL_OPERATOR_UNKNOWN', `OS user ${osUser} is not in rules/responses operators; add e.g. \`operators: { ${osUser}: { identity: <approver> } }\``, { field: 'operators' });
  }
  const name = as ?? operator.identity;
  if (name !== operator.identity && !operator.actFor.includes(name)) {
    const allowed = [operator.identity, ...operator.actFor].join(', ');
    throw new VigilError('VGL_OPERATOR_ACT_AS', `OS user ${osUser} may act as ${allowed}, not as ${name} (list it in the operator's actFor)`, { field: '--as' });
  }
  // loadResponseConfig drops operators that name unknown identities, so the lookup holds.
  return { identity: responses.approvers.get(name)!, osUser };
}
