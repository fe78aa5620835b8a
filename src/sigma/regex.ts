/**
 * The `re` modifier compiles with RE2's syntax and semantics (re2js, a pure-JavaScript port of RE2),
 * whose matching time is linear in the input, so no rule can stall ingest with a catastrophic pattern.
 * Patterns RE2 rejects (backreferences, lookaround, possessive quantifiers, bad syntax) fail the rule at
 * load time with RE2's reason. Lookbehind stays off: re2js offers it only behind a flag, and Sigma rules
 * that load here must run on any RE2. Why re2js and not the native `re2` addon: README, "Regular expressions".
 */
import { RE2JS } from 're2js';
import { ModifierValueError } from './modifiers/value';

export function compileRegex(pattern: string, flags: { i: boolean; m: boolean; s: boolean }): RE2JS {
  const flagBits = (flags.i ? RE2JS.CASE_INSENSITIVE : 0) | (flags.m ? RE2JS.MULTILINE : 0) | (flags.s ? RE2JS.DOTALL : 0);
  try {
    return RE2JS.compile(pattern, flagBits);
  } catch (e) {
    throw new ModifierValueError(
      `regular expression /${pattern}/ rejected by RE2 (linear-time engine): ${(e as Error).message}`,
      'VGL_RULE_REGEX_UNSAFE',
    );
  }
}
