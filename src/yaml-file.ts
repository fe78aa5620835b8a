/**
 * A YAML file read through a zod schema, failing with a located VigilError: `file:line:col field a.b: problem`. A
 * problem under a key that is missing is placed on the closest enclosing node that exists.
 */
import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { VigilError, type ErrorCode, type Location } from './error-codes';

export function readYamlFile<S extends z.ZodType>(file: string, schema: S, code: ErrorCode): z.output<S> {
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const pos = lines.linePos(first.pos[0]);
    throw new VigilError(code, first.message.split('\n')[0]!, { file, line: pos.line, col: pos.col });
  }
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const location: Location = { file, field: issue.path.map(String).join('.') || undefined };
  for (let depth = issue.path.length; depth >= 0; depth--) {
    const node = doc.getIn(issue.path.slice(0, depth), true);
    if (isNode(node) && node.range) {
      const pos = lines.linePos(node.range[0]);
      Object.assign(location, { line: pos.line, col: pos.col });
      break;
    }
  }
  throw new VigilError(code, issue.message, location);
}
