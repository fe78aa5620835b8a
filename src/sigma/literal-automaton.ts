/**
 * Aho-Corasick automaton over literal strings: one left-to-right pass over a value reports every
 * pattern occurrence, whatever the number of patterns. The rule index uses it to find, per field,
 * which substring requirements a value satisfies.
 * **Invariant**: after build(), `dense` holds the complete transition function for ASCII (each state's
 * row is its failure state's row with its own trie edges on top); other characters follow `goto`
 * (trie edges only) and failure links, as in the textbook automaton.
 */
export class LiteralAutomaton {
  private readonly goto: Map<number, number>[] = [new Map()];
  private readonly fail: number[] = [0];
  /** Pattern ids ending at each state, including those reached through failure links. */
  private readonly output: number[][] = [[]];
  private patterns = 0;
  /** ASCII transitions, state * 128 + char code → state, filled by build(). */
  private dense = new Int32Array(0);

  /** Adds a pattern; returns its id. Patterns must be non-empty. */
  add(text: string): number {
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let next = this.goto[state]!.get(c);
      if (next === undefined) {
        next = this.goto.length;
        this.goto.push(new Map());
        this.fail.push(0);
        this.output.push([]);
        this.goto[state]!.set(c, next);
      }
      state = next;
    }
    const id = this.patterns++;
    this.output[state]!.push(id);
    return id;
  }

  /** Computes failure links breadth-first and the dense ASCII transition table. */
  build(): void {
    const queue: number[] = [];
    for (const s of this.goto[0]!.values()) queue.push(s);
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      const out = this.output[state]!;
      const inherited = this.output[this.fail[state]!]!;
      if (inherited.length > 0) this.output[state] = [...out, ...inherited];
      for (const [c, child] of this.goto[state]!) {
        queue.push(child);
        let f = this.fail[state]!;
        while (f !== 0 && !this.goto[f]!.has(c)) f = this.fail[f]!;
        const target = this.goto[f]!.get(c);
        this.fail[child] = target !== undefined && target !== child ? target : 0;
      }
    }
    // Rows in breadth-first order: a failure state is shallower, so its row is complete before it is copied.
    const dense = new Int32Array(this.goto.length * 128);
    for (const state of [0, ...queue]) {
      if (state !== 0) dense.copyWithin(state * 128, this.fail[state]! * 128, this.fail[state]! * 128 + 128);
      for (const [c, target] of this.goto[state]!) if (c < 128) dense[state * 128 + c] = target;
    }
    this.dense = dense;
  }

  /** The move on a non-ASCII character: the trie edge of the state or of its nearest failure state. */
  private nonAscii(from: number, c: number): number {
    let state = from;
    while (state !== 0 && !this.goto[state]!.has(c)) state = this.fail[state]!;
    return this.goto[state]!.get(c) ?? 0;
  }

  /**
   * Writes every occurrence of every pattern in `value` into `hits` as (pattern id, end index)
   * pairs, `end` being just past the occurrence; returns how many numbers were written.
   */
  scan(value: string, hits: number[]): number {
    const dense = this.dense;
    let n = 0;
    let state = 0;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      state = c < 128 ? dense[state * 128 + c]! : this.nonAscii(state, c);
      const out = this.output[state]!;
      for (let k = 0; k < out.length; k++) {
        hits[n++] = out[k]!;
        hits[n++] = i + 1;
      }
    }
    return n;
  }
}
