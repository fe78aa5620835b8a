/**
 * The longest literal every match of a regular expression must contain, for the rule index.
 * Deliberately conservative: any top-level alternation gives nothing; groups, classes, `.` and
 * escapes other than escaped punctuation end a literal run; a character made optional by `?`, `*`
 * or `{` is dropped. Returns undefined when no literal is certain.
 */
export function requiredLiteral(pattern: string): string | undefined {
  if (hasTopLevelAlternation(pattern)) return undefined;
  let best = '';
  let run = '';
  const end = () => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    let literal: string | undefined;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== undefined && /[^A-Za-z0-9]/.test(next)) literal = next;
      i++;
    } else if (c === '(') {
      i = skipGroup(pattern, i);
    } else if (c === '[') {
      i = skipClass(pattern, i);
    } else if (c === '{') {
      const close = pattern.indexOf('}', i);
      i = close === -1 ? pattern.length : close; // a repetition count, not literal text
    } else if (!'.^$|?*+{}'.includes(c)) {
      literal = c;
    }
    if (literal === undefined) {
      end();
      continue;
    }
    const quantifier = pattern[i + 1];
    if (quantifier === '?' || quantifier === '*' || quantifier === '{') {
      end();
    } else if (quantifier === '+') {
      run += literal;
      end();
      i++;
    } else {
      run += literal;
    }
  }
  end();
  return best.length > 0 ? best : undefined;
}

function hasTopLevelAlternation(pattern: string): boolean {
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') i++;
    else if (c === '[') i = skipClass(pattern, i);
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

/** Index of the `)` closing the group opened at `start` (the group and its quantifier are skipped by the caller). */
function skipGroup(pattern: string, start: number): number {
  let depth = 0;
  for (let i = start; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') i++;
    else if (c === '[') i = skipClass(pattern, i);
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return pattern.length;
}

function skipClass(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']') return i;
  }
  return pattern.length;
}
