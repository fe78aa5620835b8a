/**
 * A Sigma string value: literal text interleaved with wildcards. `*` matches any run of characters,
 * `?` exactly one; a backslash escapes `*`, `?` and itself, and is literal before anything else.
 * Reference: Sigma specification 2.x "Escaping"; pySigma types.py SigmaString.
 */
export const ANY = 0; // `*`
export const ONE = 1; // `?`
export type Wildcard = typeof ANY | typeof ONE;
/** Invariant: no two adjacent string parts (they are merged) and no empty string part. */
export type SigmaStringPart = string | Wildcard;

export class SigmaString {
  private constructor(readonly parts: readonly SigmaStringPart[]) {}

  static parse(raw: string): SigmaString {
    const parts: SigmaStringPart[] = [];
    let literal = '';
    const flush = () => {
      if (literal) parts.push(literal);
      literal = '';
    };
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i]!;
      if (c === '\\') {
        const next = raw[i + 1];
        if (next === '*' || next === '?' || next === '\\') {
          literal += next;
          i++;
        } else {
          literal += c;
        }
      } else if (c === '*' || c === '?') {
        flush();
        parts.push(c === '*' ? ANY : ONE);
      } else {
        literal += c;
      }
    }
    flush();
    return new SigmaString(parts);
  }

  /** A string whose every character is literal (results of base64 and similar encodings). */
  static literal(text: string): SigmaString {
    return new SigmaString(text ? [text] : []);
  }

  static of(parts: readonly SigmaStringPart[]): SigmaString {
    const merged: SigmaStringPart[] = [];
    for (const p of parts) {
      if (p === '') continue;
      const last = merged[merged.length - 1];
      if (typeof p === 'string' && typeof last === 'string') merged[merged.length - 1] = last + p;
      else merged.push(p);
    }
    return new SigmaString(merged);
  }

  get hasWildcards(): boolean {
    return this.parts.some((p) => typeof p !== 'string');
  }

  /** The literal text when there are no wildcards; undefined otherwise. */
  get plain(): string | undefined {
    if (this.hasWildcards) return undefined;
    return (this.parts[0] as string | undefined) ?? '';
  }

  withLeadingAny(): SigmaString {
    return this.parts[0] === ANY ? this : SigmaString.of([ANY, ...this.parts]);
  }

  withTrailingAny(): SigmaString {
    return this.parts[this.parts.length - 1] === ANY ? this : SigmaString.of([...this.parts, ANY]);
  }

  /** Applies `fn` to each literal part; wildcards are kept in place. */
  mapLiterals(fn: (literal: string) => string): SigmaString {
    return SigmaString.of(this.parts.map((p) => (typeof p === 'string' ? fn(p) : p)));
  }

  /** Replaces each literal part by every one of its alternatives (cartesian product over parts). */
  expandLiterals(fn: (literal: string) => string[]): SigmaString[] {
    let results: SigmaStringPart[][] = [[]];
    for (const p of this.parts) {
      const options = typeof p === 'string' ? fn(p) : [p];
      results = results.flatMap((prefix) => options.map((o) => [...prefix, o]));
    }
    return results.map((parts) => SigmaString.of(parts));
  }
}
