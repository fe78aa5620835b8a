/**
 * A radix trie of literal prefixes (or suffixes) with rule lists at pattern ends. A lookup costs
 * one map probe and one native string comparison per branching point, independent of the value's
 * length, which is why the rule index keeps prefix/suffix facts here rather than in the substring
 * automaton. Built as a character trie, then chains without branches or pattern ends are merged
 * into edge labels by compress().
 */
interface TrieNode {
  children: Map<number, TrieNode>;
  /** Edge label from the parent, in reading order of the value (natural order for both directions). */
  label: string;
  /** Rules whose pattern ends at this node. */
  rules: number[] | undefined;
}

export class LiteralTrie {
  private readonly root: TrieNode = { children: new Map(), label: '', rules: undefined };
  private size = 0;

  constructor(private readonly fromEnd: boolean) {}

  get isEmpty(): boolean {
    return this.size === 0;
  }

  add(text: string, rule: number): void {
    let node = this.root;
    for (let k = 0; k < text.length; k++) {
      const at = this.fromEnd ? text.length - 1 - k : k;
      const c = text.charCodeAt(at);
      let child = node.children.get(c);
      if (!child) node.children.set(c, (child = { children: new Map(), label: text[at]!, rules: undefined }));
      node = child;
    }
    node.rules ??= [];
    if (!node.rules.includes(rule)) node.rules.push(rule);
    this.size++;
  }

  /** Merges single-child chains into one edge; call once after the last add(). */
  compress(): void {
    const visit = (node: TrieNode): void => {
      for (const child of node.children.values()) {
        while (child.rules === undefined && child.children.size === 1) {
          const only = child.children.values().next().value as TrieNode;
          child.label = this.fromEnd ? only.label + child.label : child.label + only.label;
          child.rules = only.rules;
          child.children = only.children;
        }
        visit(child);
      }
    };
    visit(this.root);
  }

  /** Calls `onRules` with the rule list of every pattern that is a prefix (suffix) of `value`. */
  walk(value: string, onRules: (rules: readonly number[]) => void): void {
    let node = this.root;
    let consumed = 0;
    while (consumed < value.length) {
      const child = node.children.get(value.charCodeAt(this.fromEnd ? value.length - 1 - consumed : consumed));
      if (child === undefined) return;
      const fits = this.fromEnd ? value.endsWith(child.label, value.length - consumed) : value.startsWith(child.label, consumed);
      if (!fits) return;
      consumed += child.label.length;
      if (child.rules !== undefined) onRules(child.rules);
      node = child;
    }
  }
}
