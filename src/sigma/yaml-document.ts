/**
 * YAML text → plain documents that remember where each node was written, so every later error can
 * name file:line:col. A file may hold several documents (`---`); a document with a syntax error is
 * reported and skipped, its siblings still load. The per-file bounds are checked while the text is
 * lexed, before the tokens are composed into documents: nodes are counted token by token and
 * documents as they complete, so a file past either bound costs what was lexed up to that point.
 */
import { Composer, CST, isMap, isPair, isScalar, isSeq, Lexer, LineCounter, Parser, type Document, type Node } from 'yaml';
import type { Location } from '../error-codes';
import { RuleError, type Locate } from './errors';
import { formatCount, limitReason, RuleFileRejected, type RuleLimits } from './rule-limits';

export interface YamlDocument {
  /** Position of the document in its file, 0-based. */
  readonly index: number;
  readonly value: unknown;
  readonly locate: Locate;
}

/** What parsing a file gives: its documents and the syntax errors of those that did not parse. */
export interface YamlParse {
  readonly documents: YamlDocument[];
  readonly errors: RuleError[];
}

/**
 * The lexer tokens counted as YAML nodes: each scalar (plain ones arrive as a SCALAR marker, then
 * their text), alias and flow collection, and each `-` list item and `:` map entry (which stand for
 * block collections and for empty values, neither of which has a token of its own).
 */
const nodeTokens: ReadonlySet<string> = new Set(['scalar', 'single-quoted-scalar', 'double-quoted-scalar', 'alias', 'flow-seq-start', 'flow-map-start', 'seq-item-ind', 'map-value-ind']);

/** Throws RuleFileRejected (VGL_RULE_TOO_LARGE) when the file holds too many documents or nodes. */
export function parseYamlDocuments(
  text: string,
  file: string,
  limits: Pick<RuleLimits, 'maxDocuments' | 'maxYamlNodes'>,
): YamlParse {
  const lineCounter = new LineCounter();
  const parser = new Parser(lineCounter.addNewLine);
  const tooLarge = (bound: 'maxDocuments' | 'maxYamlNodes', what: string, offset: number) =>
    new RuleFileRejected('VGL_RULE_TOO_LARGE', limitReason(bound, limits, what), { file, ...lineCounter.linePos(offset) });
  function* tokens() {
    lineCounter.addNewLine(0); // what Parser.parse does first: line 1 starts at offset 0
    let nodes = 0;
    let scalarText = false; // the lexeme after a SCALAR marker is a plain scalar's text, whatever it looks like
    for (const lexeme of new Lexer().lex(text)) {
      if (!scalarText && nodeTokens.has(CST.tokenType(lexeme) ?? '') && ++nodes > limits.maxYamlNodes) {
        throw tooLarge('maxYamlNodes', `file has more than ${formatCount(limits.maxYamlNodes)} YAML nodes`, parser.offset);
      }
      scalarText = lexeme === CST.SCALAR;
      yield* parser.next(lexeme);
    }
    yield* parser.end();
  }
  const documents: YamlDocument[] = [];
  const errors: RuleError[] = [];
  let index = 0;
  for (const doc of new Composer({ prettyErrors: false }).compose(tokens())) {
    if (index >= limits.maxDocuments) throw tooLarge('maxDocuments', `file has more than ${formatCount(limits.maxDocuments)} YAML documents`, doc.range[0]);
    readDocument(doc, index++, file, lineCounter, documents, errors);
  }
  return { documents, errors };
}

function readDocument(doc: Document.Parsed, index: number, file: string, lineCounter: LineCounter, documents: YamlDocument[], errors: RuleError[]): void {
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = lineCounter.linePos(e.pos[0]);
      errors.push(new RuleError('VGL_RULE_YAML', firstLine(e.message), { file, line: pos.line, col: pos.col }));
    }
    return;
  }
  if (doc.contents === null) return; // an empty document between separators
  try {
    documents.push({ index, value: doc.toJS({ maxAliasCount: 100 }), locate: locator(doc, file, lineCounter) });
  } catch (e) {
    const pos = doc.contents.range ? lineCounter.linePos(doc.contents.range[0]) : { line: 1, col: 1 };
    errors.push(new RuleError('VGL_RULE_YAML', (e as Error).message, { file, line: pos.line, col: pos.col }));
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Finds the node for a path; for a map entry it points at the key (where a reader looks for
 * "which field"), for a list element at the element. A path that does not exist resolves to its
 * deepest existing ancestor, so "missing field" errors point at the map that lacks it.
 */
function locator(doc: Document, file: string, lineCounter: LineCounter): Locate {
  return (path) => {
    let node: unknown = doc.contents;
    let at: Node | null = doc.contents as Node | null;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        at = (pair.key as Node | null) ?? at;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
        node = node.items[seg];
        at = node as Node;
      } else {
        break;
      }
    }
    const loc: Location = { file, field: path.join('.') || undefined };
    const start = at?.range?.[0];
    if (start !== undefined) Object.assign(loc, lineCounter.linePos(start));
    return loc;
  };
}

/**
 * Documents whose values were parsed before (the rule cache): nodes are located only when a location
 * is read, by parsing `text` again, so a cached file costs no YAML parsing unless one of its rules has
 * an error to report. **Invariant**: `values` are what parseYamlDocuments(text) gives.
 */
export function documentsFromValues(text: string, file: string, limits: Pick<RuleLimits, 'maxDocuments' | 'maxYamlNodes'>, values: readonly { index: number; value: unknown }[]): YamlDocument[] {
  let parsed: YamlDocument[] | undefined;
  const locateIn = (index: number): Locate => (path) => {
    let resolved: Location | undefined;
    const resolve = (): Location => (resolved ??= (parsed ??= parseYamlDocuments(text, file, limits).documents).find((d) => d.index === index)?.locate(path) ?? { file });
    return {
      file,
      field: path.join('.') || undefined,
      get line() {
        return resolve().line;
      },
      get col() {
        return resolve().col;
      },
    };
  };
  return values.map(({ index, value }) => ({ index, value, locate: locateIn(index) }));
}
