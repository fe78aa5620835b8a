/**
 * Condition text → AST by recursive descent over a small token stream. Grammar:
 *   or    := and ('or' and)*
 *   and   := unary ('and' unary)*
 *   unary := 'not' unary | '(' or ')' | ('1'|'any'|'all') 'of' (pattern|'them') | identifier
 * Keywords are case-insensitive; identifiers and patterns are [A-Za-z0-9_*-]+.
 */
import type { ConditionNode } from './ast';

export class ConditionSyntaxError extends Error {
  constructor(
    message: string,
    /** 0-based character offset inside the condition string. */
    readonly offset: number,
  ) {
    super(message);
  }
}

interface Token {
  text: string;
  offset: number;
}

const tokenPattern = /\s*(\(|\)|[A-Za-z0-9_*.\-]+|\S)/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  tokenPattern.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (tokenPattern.lastIndex < text.length && (m = tokenPattern.exec(text)) !== null) {
    tokens.push({ text: m[1]!, offset: m.index + m[0].length - m[1]!.length });
  }
  return tokens;
}

const maxDepth = 64;
const keywords = new Set(['and', 'or', 'not', 'of', 'them']);
const identifierPattern = /^[A-Za-z0-9_*.\-]+$/;

export function parseCondition(text: string): ConditionNode {
  const tokens = tokenize(text);
  let pos = 0;
  let depth = 0; // bounded so a hostile condition cannot overflow the stack
  const peek = () => tokens[pos];
  const isWord = (t: Token | undefined, word: string) => t !== undefined && t.text.toLowerCase() === word;
  const fail = (message: string, t: Token | undefined): never => {
    throw new ConditionSyntaxError(message, t?.offset ?? text.length);
  };

  const parseOr = (): ConditionNode => {
    const nodes = [parseAnd()];
    while (isWord(peek(), 'or')) {
      pos++;
      nodes.push(parseAnd());
    }
    return nodes.length === 1 ? nodes[0]! : { kind: 'or', nodes };
  };
  const parseAnd = (): ConditionNode => {
    const nodes = [parseUnary()];
    while (isWord(peek(), 'and')) {
      pos++;
      nodes.push(parseUnary());
    }
    return nodes.length === 1 ? nodes[0]! : { kind: 'and', nodes };
  };
  const parseUnary = (): ConditionNode => {
    const t = peek();
    if (t === undefined) return fail('condition ends where a search identifier was expected', t);
    if (isWord(t, 'not')) {
      if (++depth > maxDepth) fail(`'not' nested deeper than ${maxDepth}`, t);
      pos++;
      const node = parseUnary();
      depth--;
      return { kind: 'not', node };
    }
    if (t.text === '(') {
      if (++depth > maxDepth) fail(`parentheses nested deeper than ${maxDepth}`, t);
      pos++;
      const inner = parseOr();
      depth--;
      if (peek()?.text !== ')') fail("missing ')'", peek());
      pos++;
      return inner;
    }
    const quantifier = t.text === '1' || isWord(t, 'any') ? 'any' : isWord(t, 'all') ? 'all' : null;
    if (quantifier && isWord(tokens[pos + 1], 'of')) {
      pos += 2;
      const target = peek();
      if (target === undefined || !identifierPattern.test(target.text) || (keywords.has(target.text.toLowerCase()) && !isWord(target, 'them'))) {
        return fail(`'${t.text} of' needs a search identifier pattern or 'them'`, target);
      }
      pos++;
      return { kind: 'quantified', quantifier, pattern: isWord(target, 'them') ? null : target.text, offset: t.offset };
    }
    if (!identifierPattern.test(t.text) || keywords.has(t.text.toLowerCase()) || t.text.includes('*')) {
      return fail(`unexpected '${t.text}'`, t);
    }
    pos++;
    return { kind: 'identifier', name: t.text, offset: t.offset };
  };

  const node = parseOr();
  if (pos < tokens.length) fail(`unexpected '${tokens[pos]!.text}'`, tokens[pos]);
  return node;
}
