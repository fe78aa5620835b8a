/**
 * YAML text → plain documents that remember where each node was written, so every later error can
 * name file:line:col. A file may hold several documents (`---`); a document with a syntax error is
 * reported and skipped, its siblings still load.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { Location } from '../error-codes';
import { RuleError, type Locate } from './errors';

export interface YamlDocument {
  /** Position of the document in its file, 0-based. */
  readonly index: number;
  readonly value: unknown;
  readonly locate: Locate;
}

export function parseYamlDocuments(text: string, file: string): { documents: YamlDocument[]; errors: RuleError[] } {
  const lineCounter = new LineCounter();
  const documents: YamlDocument[] = [];
  const errors: RuleError[] = [];
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  // parseAllDocuments returns an EmptyStream (an empty array with an `empty` flag) for blank input.
  const list = Array.isArray(parsed) ? parsed : [];
  list.forEach((doc, index) => {
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
  });
  return { documents, errors };
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
