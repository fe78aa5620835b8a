/**
 * Rule-loading errors. Every problem found in a rule file is a RuleError: a stable VGL_RULE_* code,
 * the reason, and where (file:line:col from the YAML node, field = path inside the document).
 * Loaders collect these; one bad rule never stops the others (Reference: pySigma exceptions.py).
 */
import { VigilError, type ErrorCode, type Location } from '../error-codes';

export type RuleErrorCode = Extract<ErrorCode, `VGL_RULE_${string}`>;

export class RuleError extends VigilError {
  constructor(code: RuleErrorCode, reason: string, location: Location = {}) {
    super(code, reason, location);
    this.name = 'RuleError';
  }
}

/** Maps a path inside a YAML document to where it is written in the file. */
export type Locate = (path: readonly (string | number)[]) => Location;
