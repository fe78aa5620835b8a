/**
 * The `re` modifier compiles with RE2, whose matching time is linear in the input, so no rule can
 * stall ingest with a catastrophic pattern. Patterns RE2 rejects (backreferences, lookaround,
 * possessive quantifiers, bad syntax) fail the rule at load time with RE2's reason.
 */
import RE2 from 're2';
import { ModifierValueError } from './modifiers/value';

export function compileRegex(pattern: string, flags: { i: boolean; m: boolean; s: boolean }): RE2 {
  const flagText = `${flags.i ? 'i' : ''}${flags.m ? 'm' : ''}${flags.s ? 's' : ''}`;
  try {
    return new RE2(pattern, flagText);
  } catch (e) {
    throw new ModifierValueError(
      `regular expression /${pattern}/ rejected by RE2 (linear-time engine): ${(e as Error).message}`,
      'VGL_RULE_REGEX_UNSAFE',
    );
  }
}
